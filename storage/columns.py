"""The mirror's columns: one per record field a filter reads, derived from the parameter table.

Also the one conversion from an API record to a row, so every reader of the
mirror sees values typed the way `revenium.figures` and the filters read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson

from revenium import params as P
from revenium.records import Record, field, parse_time

TIME = "t"  # requestTime as integer microseconds since the epoch, UTC: exact, sortable
IS_ERROR = "is_error"  # 1 where errorReason is non-empty (figures.py's definition of an error)
KEY_SUFFIX = "_lc"  # lower-cased copy of an enum column, for case-insensitive matching

_SQL_TYPES = {
    P.Kind.STRING: "TEXT",
    P.Kind.ENUM: "TEXT",
    P.Kind.INT: "INTEGER",
    P.Kind.NUMBER: "REAL",
    P.Kind.BOOL: "INTEGER",
}


@dataclass(frozen=True)
class Column:
    name: str  # SQL identifier
    path: str  # record field path, e.g. "organization.label"
    kind: P.Kind

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.kind]

    @property
    def key(self) -> str | None:
        """The lower-cased twin that enum filters compare against, if any."""
        return self.name + KEY_SUFFIX if self.kind is P.Kind.ENUM else None

    def value(self, record: Record) -> Any:
        return convert(self.kind, field(record, self.path))


def convert(kind: P.Kind, value: Any) -> Any:
    """A record value as stored: numbers stay numbers, booleans 0/1, text text; else NULL."""
    if value is None:
        return None
    if kind is P.Kind.BOOL:
        return int(value) if isinstance(value, bool) else None
    if kind in (P.Kind.INT, P.Kind.NUMBER):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return value if ok else None
    return value if isinstance(value, str) else str(value)


def _columns() -> tuple[Column, ...]:
    by_path: dict[str, Column] = {}
    for param in P.FILTERS:
        assert param.field is not None, param.name
        name = param.field.replace(".", "_")
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), name
        by_path.setdefault(param.field, Column(name, param.field, param.kind))
    return tuple(by_path.values())


COLUMNS: tuple[Column, ...] = _columns()
BY_PATH: dict[str, Column] = {c.path: c for c in COLUMNS}
KEYS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.key is not None)

# The fields figures.py reads (record keys, as figures.py spells them).
COST = BY_PATH["totalCost"].name
IMAGES = BY_PATH["actualImageCount"].name
REQUESTED = BY_PATH["requestedImageCount"].name
DURATION = BY_PATH["requestDuration"].name
ERROR_REASON = BY_PATH["errorReason"].name
REQUEST_TIME = "requestTime"

# Column order of a row as `row()` returns it; `records` is created with it.
ROW_NAMES: tuple[str, ...] = (
    "team",
    TIME,
    "id",
    *(c.name for c in COLUMNS),
    *(c.key for c in KEYS if c.key is not None),
    IS_ERROR,
)


def column(param_name: str) -> Column:
    """The column a filter parameter reads."""
    path = P.param(param_name).field
    assert path is not None, param_name
    return BY_PATH[path]


def micros(when: datetime) -> int:
    """Integer microseconds since the epoch (exact, unlike timestamp()); naive means UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def row(team: str, record: Record) -> tuple[Any, ...]:
    """The `records` row for one API record (ROW_NAMES order)."""
    values = _plain_values(list(map(record.get, _FIRST)))
    if values is None:
        values = _values(record)
    error = record.get("errorReason")
    return _row(team, record.get("id"), record.get(REQUEST_TIME), values, error, source=record)


def json_row(team: str, text: str) -> tuple[Any, ...]:
    """`row(team, orjson.loads(text))` without building the dict: the hot path of a sync."""
    try:
        top = msgspec.structs.astuple(_TOP.decode(text))
    except msgspec.ValidationError:
        raise ValueError(f"a record that is not a JSON object: {text[:120]}") from None
    values = _plain_values([top[i] for i in _FIRST_AT])
    if values is None:  # a field of an unexpected type: let the general path convert it
        return row(team, orjson.loads(text))
    return _row(team, top[_ID_AT], top[_TIME_AT], values, top[_ERROR_AT], source=text)


def _plain_values(values: list[Any]) -> list[Any] | None:
    """First-level values with nested steps taken, if all are stored as they are; else None."""
    for i, second in _NESTED:
        value = values[i]
        values[i] = value.get(second) if type(value) is dict else None
    return values if _plain(tuple(map(type, values))) else None


def _row(
    team: str, record_id: Any, when: Any, values: list[Any], error: Any, *, source: object
) -> tuple[Any, ...]:
    if not isinstance(record_id, str) or not record_id or not isinstance(when, str):
        raise ValueError(f"record without an id or a requestTime: {str(source)[:120]}")
    try:
        at = _time_micros(when)
    except ValueError:
        raise ValueError(f"record {record_id}: unreadable requestTime {when!r}") from None
    keys = [values[i].lower() if type(values[i]) is str else None for i in _KEY_AT]
    return (team, at, record_id, *values, *keys, int(bool(error)))


def _time_micros(text: str) -> int:
    """micros(parse_time(text)); the API's own form (2026-01-02T03:04:05.678Z) by arithmetic."""
    if len(text) == 24 and text[13] == ":" and text[16] == ":" and text[19:24:4] == ".Z":
        base = _HOURS.get(text[:14])
        digits = text[14:16] + text[17:19] + text[20:23]
        if base is not None and digits.isascii() and digits.isdigit():
            minute, second, milli = int(digits[:2]), int(digits[2:4]), int(digits[4:])
            if minute < 60 and second < 60:
                return base + ((minute * 60 + second) * 1000 + milli) * 1000
        elif base is None and len(_HOURS) < 100_000:
            at = micros(parse_time(text))  # raises for a bad hour: then nothing is cached
            _HOURS[text[:14]] = at - at % 3_600_000_000
            return at
    return micros(parse_time(text))


_HOURS: dict[str, int] = {}  # "2026-01-02T03:" -> that hour in micros, learnt from parse_time


def _values(record: Record) -> list[Any]:
    """`convert(kind, field(record, path))` for every column, unrolled for speed (5x)."""
    out: list[Any] = []
    get = record.get
    for first, second, kind in _PLAN:
        value = get(first)
        if second is not None:
            value = value.get(second) if type(value) is dict else None
        if value is None:
            out.append(None)
        elif kind == _TEXT:
            out.append(value if type(value) is str else str(value))
        elif kind == _BOOL:
            out.append(int(value) if type(value) is bool else None)
        else:
            out.append(value if type(value) is int or type(value) is float else None)
    return out


_TEXT, _BOOL, _NUMBER = 0, 1, 2


def _plan() -> tuple[tuple[str, str | None, int], ...]:
    codes = {P.Kind.STRING: _TEXT, P.Kind.ENUM: _TEXT, P.Kind.BOOL: _BOOL}
    out = []
    for c in COLUMNS:
        steps = c.path.split(".")
        assert len(steps) <= 2, c.path  # records nest one level (organization.label)
        out.append((steps[0], steps[1] if len(steps) == 2 else None, codes.get(c.kind, _NUMBER)))
    return tuple(out)


_PLAN = _plan()
_KEY_AT = tuple(i for i, c in enumerate(COLUMNS) if c.key is not None)
_FIRST = tuple(first for first, _, _ in _PLAN)
_NESTED = tuple((i, second) for i, (_, second, _) in enumerate(_PLAN) if second is not None)
_NONE = type(None)
# The record's first-level fields a row needs, decoded without the rest (json_row).
_TOP_FIELDS = tuple(dict.fromkeys((*_FIRST, "id", REQUEST_TIME, "errorReason")))
_TOP = msgspec.json.Decoder(msgspec.defstruct("_Top", [(f, Any, None) for f in _TOP_FIELDS]))
_FIRST_AT = tuple(_TOP_FIELDS.index(f) for f in _FIRST)
_ID_AT, _TIME_AT, _ERROR_AT = (_TOP_FIELDS.index(f) for f in ("id", REQUEST_TIME, "errorReason"))
_ALLOWED = {_TEXT: (str, _NONE), _BOOL: (bool, _NONE), _NUMBER: (int, float, _NONE)}


def _plain(signature: tuple[type, ...]) -> bool:
    """Whether values of these types are stored as they are (booleans bind as 0/1)."""
    known = _SIGNATURES.get(signature)
    if known is None:
        kinds = (kind for _, _, kind in _PLAN)
        known = all(t in _ALLOWED[k] for t, k in zip(signature, kinds, strict=True))
        if len(_SIGNATURES) < 4096:  # a few dozen in practice: which nullable fields are null
            _SIGNATURES[signature] = known
    return known


_SIGNATURES: dict[tuple[type, ...], bool] = {}


def to_json(record: Record) -> str:
    return orjson.dumps(record).decode()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
