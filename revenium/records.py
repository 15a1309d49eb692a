"""API records as read: plain dicts, and the one way to read a (nested) field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]


def field(record: Record, path: str) -> Any:
    """`field(r, "organization.label")`; None where any step is missing or null."""
    value: Any = record
    for step in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def parse_time(text: str) -> datetime:
    """An API timestamp (ISO 8601 with offset or Z) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_time(when: datetime) -> str:
    """An aware datetime as the API writes it: UTC, milliseconds, `Z`."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
