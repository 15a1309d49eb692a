"""The mirror's columns: one per record field; those filters read come from the parameter table.

Also the one conversion from an API record to a row and back (`row`, `json_row`,
`record_of`), so every reader of the mirror sees values typed the way
`revenium.figures` and the filters read them. No record body is kept beside the row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson

from revenium import params as P
from revenium.records import Record, field, format_time, parse_time

TIME = "t"  # requestTime as integer microseconds since the epoch, UTC: exact, sortable
IS_ERROR = "is_error"  # 1 where errorReason is non-empty (figures.py's definition of an error)
SEEN = "seen"  # which read of the mirror last wrote the row (storage/mirror.py: sweep)
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


COLUMNS: tuple[Column, ...] = _columns()  # what filters read (m001 created them)
# The other fields a reply, `list`, `show` or `export` may show: with them, a row is the record.
EXTRAS: tuple[Column, ...] = tuple(
    Column(path.replace(".", "_"), path, P.Kind.STRING)
    for path in (
        "label",
        "resourceType",
        "operationType",
        "responseTime",
        "costType",
        "organization.id",
        "product.label",
        "billingUnit",
    )
)
# Fields that vary from request to request; the others describe what was asked and by whom
# (model, options, agent, organisation...), repeat across many records and are kept once
# per distinct combination in `mirror_dims`: a row binds 17 values instead of 44.
OWN = frozenset(
    {
        "requestDuration",
        "totalCost",
        "transactionId",
        "traceId",
        "traceType",
        "environment",
        "billingSkipped",
        "requestedImageCount",
        "actualImageCount",
        "revisedPromptProvided",
        "responseTime",
        "errorReason",
    }
)
# Stored order: a row's own fields (errorReason last), then the described ones, those inside
# the record's objects last: json_row makes a row by slicing the typed struct.
STORED: tuple[Column, ...] = tuple(
    sorted(
        COLUMNS + EXTRAS,
        key=lambda c: (c.path not in OWN, "." in c.path, c.path == "errorReason"),
    )
)
OWN_COLUMNS: tuple[Column, ...] = tuple(c for c in STORED if c.path in OWN)
DESCRIBED: tuple[Column, ...] = tuple(c for c in STORED if c.path not in OWN)
BY_PATH: dict[str, Column] = {c.path: c for c in STORED}
KEYS: tuple[Column, ...] = tuple(c for c in COLUMNS if c.key is not None)

# The fields figures.py reads (record keys, as figures.py spells them).
COST = BY_PATH["totalCost"].name
IMAGES = BY_PATH["actualImageCount"].name
REQUESTED = BY_PATH["requestedImageCount"].name
DURATION = BY_PATH["requestDuration"].name
ERROR_REASON = BY_PATH["errorReason"].name
REQUEST_TIME = "requestTime"

DIM = "dim"  # a row's key into mirror_dims
# A row as `row()` returns it: (team, t, id, the DESCRIBED values as one tuple, *own, is_error);
# `record_rows` holds it with the tuple replaced by its DIM. `records` is the view of both.
ROW_NAMES: tuple[str, ...] = ("team", TIME, "id", DIM, *(c.name for c in OWN_COLUMNS), IS_ERROR)
VIEW_NAMES: tuple[str, ...] = ("team", TIME, "id", *(c.name for c in STORED), IS_ERROR)


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


def moment(at: int) -> datetime:
    """The instant of integer microseconds since the epoch (micros' inverse)."""
    return _EPOCH + timedelta(microseconds=at)


def row(team: str, record: Record) -> tuple[Any, ...]:
    """The `records` row for one API record (ROW_NAMES order)."""
    if not isinstance(record, dict):
        raise ValueError(f"a record that is not a JSON object: {str(record)[:120]}")
    error = record.get("errorReason")
    when = record.get(REQUEST_TIME)
    return _row(team, record.get("id"), when, _values(record), error, source=record)


def json_row(team: str, text: str | bytes) -> tuple[Any, ...]:
    """`row(team, orjson.loads(text))`, decoded straight to typed fields: a sync's hot path.

    The typed struct holds STORED's fields in STORED's order (the record's objects last),
    so a row is two slices of it and a few attributes."""
    try:
        top = msgspec.structs.astuple(_TYPED.decode(text))
    except msgspec.ValidationError:  # a field of another type: the general path converts it
        return row(team, orjson.loads(text))
    except msgspec.DecodeError:
        raise ValueError(f"a record that is not JSON: {str(text)[:120]}") from None
    record_id, when = top[0], top[1]
    if not isinstance(record_id, str) or not record_id or when is None:
        raise ValueError(f"record without an id or a requestTime: {str(text)[:120]}")
    nested = [None if (inner := top[i]) is None else getattr(inner, name) for i, name in _NESTED]
    described = (*top[_OWN_END:_FLAT_END], *nested)
    at = (when - _EPOCH) // _MICRO
    return (team, at, record_id, described, *top[2:_OWN_END], 1 if top[_OWN_END - 1] else 0)


def _row(
    team: str, record_id: Any, when: Any, values: list[Any], error: Any, *, source: object
) -> tuple[Any, ...]:
    if not isinstance(record_id, str) or not record_id or not isinstance(when, str):
        raise ValueError(f"record without an id or a requestTime: {str(source)[:120]}")
    try:
        at = _time_micros(when)
    except ValueError:
        raise ValueError(f"record {record_id}: unreadable requestTime {when!r}") from None
    own, described = values[: len(OWN_COLUMNS)], tuple(values[len(OWN_COLUMNS) :])
    return (team, at, record_id, described, *own, int(bool(error)))


def record_of(at: int, record_id: str, values: Sequence[Any]) -> Record:
    """The API record a row holds (`values` in STORED order): what `list` and `export` show."""
    out: Record = {"id": record_id, REQUEST_TIME: format_time(moment(at))}
    for (first, second, kind), stored in zip(_PLAN, values, strict=True):
        value = bool(stored) if kind == _BOOL and stored is not None else stored
        if second is None:
            out[first] = value
        elif value is not None:
            inner = out.get(first)
            out[first] = {**(inner or {}), second: value}
        else:
            out.setdefault(first, None)
    return out


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
    for c in STORED:
        steps = c.path.split(".")
        assert len(steps) <= 2, c.path  # records nest one level (organization.label)
        out.append((steps[0], steps[1] if len(steps) == 2 else None, codes.get(c.kind, _NUMBER)))
    return tuple(out)


_PLAN = _plan()


def _typed_struct() -> type[msgspec.Struct]:
    """The record's fields as the API types them, in row order (see json_row); a record that
    does not fit them takes the general path, `row`."""
    kinds: dict[int, Any] = {_TEXT: str | None, _BOOL: bool | None, _NUMBER: int | float | None}
    fields: dict[str, Any] = {"id": Any, REQUEST_TIME: Annotated[datetime, msgspec.Meta(tz=True)]}
    nested: dict[str, list[tuple[str, Any, None]]] = {}
    for first, second, kind in _PLAN:
        if second is None:
            fields[first] = kinds[kind]
        else:
            nested.setdefault(first, []).append((second, kinds[kind], None))
    for first, inner in nested.items():
        fields[first] = msgspec.defstruct(f"_{first}", inner) | None
    return msgspec.defstruct("_Typed", [(name, kind, None) for name, kind in fields.items()])


_TYPED = msgspec.json.Decoder(_typed_struct())
_ORDER: tuple[str, ...] = _TYPED.type.__struct_fields__
_OWN_END = 2 + len(OWN_COLUMNS)
_FLAT_END = 2 + sum(1 for _, second, _ in _PLAN if second is None)
_NESTED = tuple((_ORDER.index(first), second) for first, second, _ in _PLAN if second is not None)
_MICRO = timedelta(microseconds=1)
assert [f for f, second, _ in _PLAN if second is None] == list(_ORDER[2:_FLAT_END])
assert _ORDER[_OWN_END - 1] == "errorReason"
assert all("." not in c.path for c in OWN_COLUMNS)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
