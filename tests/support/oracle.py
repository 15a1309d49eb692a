"""The API's filter semantics, written plainly over one record: the truth tests compare against.

Independent of the sandbox's SQL on purpose; it only borrows the parameter
table (names, kinds, fields) and the record helpers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revenium import params as P
from revenium.params import Kind, Role
from revenium.records import Record, field, parse_time

TRUE_WORDS = ("true", "on", "yes", "1")


def matches(params: dict[str, str], record: Record) -> bool:
    """Would the list endpoint return `record` for these (already valid) parameters?"""
    for name, value in params.items():
        p = P.BY_NAME.get(name)
        if p is None or p.field is None:
            continue  # unknown names, teamId and paging do not filter
        if not _accepts(p, value, field(record, p.field)):
            return False
    return True


def _accepts(p: P.Param, value: str, actual: Any) -> bool:  # noqa: PLR0911 - a case per kind
    if p.role is Role.WINDOW:
        if actual is None:
            return False
        when = parse_time(actual)
        bound = _instant(value)
        return when >= bound if p.name == P.START_DATE else when <= bound
    if p.role is Role.MIN:
        return actual is not None and actual >= float(value)
    if p.role is Role.MAX:
        return actual is not None and actual <= float(value)
    if p.kind is Kind.BOOL:
        return actual is not None and actual == (value.lower() in TRUE_WORDS)
    if p.kind is Kind.ENUM:
        return actual is not None and actual.lower() == value.lower()
    if p.name == P.TRACE_TYPE and value == P.NO_TRACE_TYPE:
        return actual in (None, "", value)
    return bool(actual == value)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def ids(params: dict[str, str], records: list[Record]) -> set[str]:
    return {r["id"] for r in records if matches(params, r)}
