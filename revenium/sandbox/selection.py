"""Query parameters of the list endpoint -> a checked SQL selection (where, order, page).

Names, kinds, bounds, lengths and enums all come from `revenium.params`; values
are validated the way the API does and a violation is a 400 naming the
parameter. Column names come from the parameter table, never from a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from revenium import params as P
from revenium.params import Kind, Param, Role
from revenium.records import format_time
from revenium.sandbox import schema, timeline
from revenium.sandbox.spring import ApiError

DEFAULT_SORT = (schema.REQUEST_TIME, "DESC")
DEFAULT_SIZE = 20
INT32_MAX = 2**31 - 1
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:\d{2})")
_TRUE = frozenset({"true", "on", "yes", "1"})  # what Spring's String -> Boolean accepts
_FALSE = frozenset({"false", "off", "no", "0"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_JAVA = {
    Kind.INT: "java.lang.Long",
    Kind.NUMBER: "java.math.BigDecimal",
    Kind.BOOL: "java.lang.Boolean",
    Kind.DATETIME: "java.time.OffsetDateTime",
}


@dataclass(frozen=True)
class Selection:
    where: str  # "" or "WHERE ..."
    args: tuple[Any, ...]
    order: str  # "ORDER BY ..."
    page: int
    size: int


def first_values(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Repeated parameters: the first one counts, as Spring binds a single value."""
    out: dict[str, str] = {}
    for name, value in items:
        out.setdefault(name, value)
    return out


def select(items: Sequence[tuple[str, str]], *, max_size: int) -> Selection:
    values = first_values(items)
    clauses: list[str] = []
    args: list[Any] = []
    for p in P.PARAMS:
        if p.name in values and (p.is_filter or p.role is Role.WINDOW):
            clause, clause_args = condition(p, values[p.name])
            clauses.append(clause)
            args.extend(clause_args)
    page = _paging(P.param(P.PAGE), values.get(P.PAGE), 0)
    size = min(_paging(P.param(P.SIZE), values.get(P.SIZE), DEFAULT_SIZE), max_size)
    sorts = [value for name, value in items if name == P.SORT]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return Selection(where, tuple(args), order_by(sorts), page, size)


def condition(p: Param, raw: str) -> tuple[str, list[Any]]:
    """One filter as SQL over its record field's column."""
    assert p.field is not None
    column = schema.quote(p.field)
    if p.kind is Kind.BOOL:
        return f"{column} = ?", [int(boolean(p, raw))]
    if p.kind in (Kind.INT, Kind.NUMBER):
        op = ">=" if p.role is Role.MIN else "<="
        return f"{column} {op} ?", [number(p, raw)]
    if p.kind is Kind.DATETIME:
        start = p.name == P.START_DATE
        ms = timeline.to_ms(date_time(p, raw), ceil=start)
        bound = format_time(_EPOCH + timedelta(milliseconds=ms))
        return f"{column} {'>=' if start else '<='} ?", [bound]
    _length(p, raw)
    if p.kind is Kind.ENUM:
        if not p.open_choices and raw.lower() not in p.choices:
            allowed = ", ".join(p.choices)
            raise ApiError(400, f"{p.name}: '{raw}' is not one of the allowed values [{allowed}]")
        return f"{column} = ? COLLATE NOCASE", [raw]
    if p.name == P.TRACE_TYPE and raw == P.NO_TRACE_TYPE:
        return f"({column} IS NULL OR {column} = '' OR {column} = ?)", [raw]
    return f"{column} = ?", [raw]


def _mismatch(p: Param, raw: str) -> ApiError:
    return ApiError(
        400,
        f"Method parameter '{p.name}': Failed to convert value of type 'java.lang.String' "
        f"to required type '{_JAVA.get(p.kind, 'java.lang.Integer')}'; "
        f'For input string: "{raw}"',
    )


def _length(p: Param, raw: str) -> None:
    low, high = p.min_len or 0, p.max_len or INT32_MAX
    if not low <= len(raw) <= high:
        raise ApiError(400, f"{p.name}: size must be between {low} and {high}")


def boolean(p: Param, raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _mismatch(p, raw)


def number(p: Param, raw: str) -> int | float:
    pattern = _INTEGER if p.kind is Kind.INT else _NUMBER
    if not pattern.fullmatch(raw):
        raise _mismatch(p, raw)
    value: int | float = int(raw) if p.kind is Kind.INT else float(raw)
    if p.low is not None and value < p.low:
        raise ApiError(400, f"{p.name}: must be greater than or equal to {_plain(p.low)}")
    if p.high is not None and value > p.high:
        raise ApiError(400, f"{p.name}: must be less than or equal to {_plain(p.high)}")
    return value


def date_time(p: Param, raw: str) -> datetime:
    """ISO 8601 with an offset; a bare date or a local time is refused, as by the API."""
    if not _DATETIME.fullmatch(raw):
        raise _mismatch(p, raw)
    text = re.sub(r"(\.\d{6})\d+", r"\1", raw).replace("z", "Z")  # Python stops at microseconds
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _mismatch(p, raw) from None


def _paging(p: Param, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not _INTEGER.fullmatch(raw) or int(raw) > INT32_MAX:
        raise _mismatch(p, raw)
    if p.low is not None and int(raw) < p.low:
        raise ApiError(400, f"{p.name}: must be greater than or equal to {_plain(p.low)}")
    return int(raw)


def order_by(sorts: Sequence[str]) -> str:
    """Spring's `property[,property...][,asc|desc]`; ties broken by id so pages are stable."""
    keys: list[tuple[str, str]] = []
    for spec in sorts:
        parts = [part.strip() for part in spec.split(",") if part.strip()]
        direction = "ASC"
        if parts and parts[-1].upper() in ("ASC", "DESC"):
            direction = parts.pop().upper()
        for prop in parts:
            if prop not in schema.TYPES:
                raise ApiError(400, f"No property '{prop}' found for type 'AIImageMetric'")
            keys.append((prop, direction))
    keys = keys or [DEFAULT_SORT]
    if schema.ID not in (k for k, _ in keys):
        keys.append((schema.ID, keys[-1][1]))
    return "ORDER BY " + ", ".join(f"{schema.quote(k)} {d}" for k, d in keys)


def _plain(x: float) -> str:
    return str(int(x)) if x == int(x) else str(x)
