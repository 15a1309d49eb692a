"""The sandbox's table: one column per record field, named by its record path.

Records are stored as typed columns (named exactly like `Param.field`, e.g.
"organization.label", so a filter's column is its field), plus their JSON text in
the API's field order, built once by SQLite when rows are written (`fill_json`), so
serving a page joins stored text instead of rebuilding 1,000 objects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from enum import Enum
from typing import Any

from revenium.records import Record, field, format_time, parse_time

TABLE = "metrics"
HEAD = "_head"  # the record's JSON without its closing brace; the self link is appended
LINKED = "_linked"  # the whole record's JSON, self link included, for the base last served
ID = "id"
REQUEST_TIME = "requestTime"
RESPONSE_TIME = "responseTime"


class Type(Enum):
    TEXT = "TEXT"
    INT = "INTEGER"
    REAL = "REAL"
    BOOL = "BOOLEAN"  # 0/1 (numeric affinity), rendered as JSON true/false


_T, _I, _R, _B = Type.TEXT, Type.INT, Type.REAL, Type.BOOL

# The record as the API returns it, in its order; a nested tuple is an object field.
Shape = Sequence[tuple[str, "Type | Shape"]]
SHAPE: Shape = (
    ("id", _T),
    ("label", _T),
    ("resourceType", _T),
    ("transactionId", _T),
    ("traceId", _T),
    ("traceType", _T),
    ("model", _T),
    ("provider", _T),
    ("modelSource", _T),
    ("operationType", _T),
    ("operationSubtype", _T),
    (REQUEST_TIME, _T),
    (RESPONSE_TIME, _T),
    ("requestDuration", _I),
    ("totalCost", _R),
    ("costType", _T),
    ("errorReason", _T),
    ("environment", _T),
    ("agent", _T),
    ("organization", (("id", _T), ("label", _T))),
    ("product", (("id", _T), ("label", _T))),
    ("subscriberEmail", _T),
    ("subscriberId", _T),
    ("subscriptionId", _T),
    ("requestedImageCount", _I),
    ("actualImageCount", _I),
    ("resolution", _T),
    ("quality", _T),
    ("style", _T),
    ("format", _T),
    ("sourceImageProvided", _B),
    ("revisedPromptProvided", _B),
    ("billingSkipped", _B),
    ("billingUnit", _T),
)


def _flatten(shape: Shape, prefix: str = "") -> list[tuple[str, Type]]:
    out: list[tuple[str, Type]] = []
    for name, kind in shape:
        if isinstance(kind, Type):
            out.append((prefix + name, kind))
        else:
            out.extend(_flatten(kind, f"{prefix}{name}."))
    return out


# (record path, column type) in insertion order; the path is the column name.
COLUMNS: tuple[tuple[str, Type], ...] = tuple(_flatten(SHAPE))
TYPES: dict[str, Type] = dict(COLUMNS)
PATHS: tuple[str, ...] = tuple(path for path, _ in COLUMNS)
_TIMES = (REQUEST_TIME, RESPONSE_TIME)


def quote(path: str) -> str:
    """A column name as SQL; paths come from the tables above, never from requests."""
    return '"' + path.replace('"', '""') + '"'


INSERT = (
    f"INSERT INTO {TABLE} ({', '.join(quote(p) for p in PATHS)}) "
    f"VALUES ({', '.join('?' for _ in PATHS)})"
)
_INDEXES = (
    f"CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_id ON {TABLE} ({quote(ID)})",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_time ON {TABLE} ({quote(REQUEST_TIME)}, {quote(ID)})",
)


def create(conn: sqlite3.Connection, *, indexes: bool = True) -> None:
    columns = ", ".join(
        [*(f"{quote(p)} {t.value}" for p, t in COLUMNS), f"{HEAD} TEXT", f"{LINKED} TEXT"]
    )
    conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns})")
    if indexes:
        create_indexes(conn)


def create_indexes(conn: sqlite3.Connection) -> None:
    for statement in _INDEXES:
        conn.execute(statement)


def drop_indexes(conn: sqlite3.Connection) -> None:
    for name in (f"{TABLE}_id", f"{TABLE}_time"):
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def _json_of(shape: Shape, prefix: str = "") -> str:
    parts: list[str] = []
    for name, kind in shape:
        path = prefix + name
        if isinstance(kind, Type):
            value = quote(path)
            if kind is Type.BOOL:
                value = f"CASE {value} WHEN 1 THEN json('true') WHEN 0 THEN json('false') END"
        else:
            inner = [quote(f"{path}.{n}") for n, _ in kind]
            nulls = " AND ".join(f"{c} IS NULL" for c in inner)
            value = f"CASE WHEN {nulls} THEN NULL ELSE {_json_of(kind, path + '.')} END"
        parts.append(f"'{name}', {value}")
    return f"json_object({', '.join(parts)})"


# The last field is a scalar, so its object ends in exactly one "}" for rtrim to drop.
assert isinstance(SHAPE[-1][1], Type)
_FILL = f"UPDATE {TABLE} SET {HEAD} = rtrim({_json_of(SHAPE)}, '}}') WHERE {HEAD} IS NULL"

# One record as JSON text; the single `?` is the href prefix of its self link.
RECORD_JSON = (
    f'{HEAD} || \',"_links":{{"self":{{"href":\' || json_quote(? || {quote(ID)}) || \'}}}}}}\''
)


def fill_json(conn: sqlite3.Connection) -> None:
    """Build the stored JSON of rows written since the last call."""
    conn.execute(_FILL)


def link(conn: sqlite3.Connection, href: str, *, every: bool) -> None:
    """Store each record's whole JSON with its self link under `href` (every row, or only
    those without yet): pages then join stored text and compute nothing per record."""
    where = "" if every else f" WHERE {LINKED} IS NULL"
    conn.execute(f"UPDATE {TABLE} SET {LINKED} = {RECORD_JSON}{where}", (href,))


def row_of(record: Record) -> tuple[Any, ...]:
    """A record (possibly partial) as a row; times are stored in the API's canonical form."""
    row: list[Any] = []
    for path, kind in COLUMNS:
        value = field(record, path)
        if value is not None and path in _TIMES:
            value = _canonical_time(path, value)
        elif isinstance(value, bool) or (kind is Type.BOOL and value is not None):
            value = int(bool(value))
        row.append(value)
    return tuple(row)


def _canonical_time(path: str, value: Any) -> str:
    when = parse_time(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        raise ValueError(f"{path} needs a UTC offset or Z: {value!r}")
    return format_time(when)
