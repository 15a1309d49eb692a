"""A Query's filters as SQL, one predicate per kind of row in the parameter table.

The semantics are the API's as the sandbox and tests/oracle.py read them: exact
text, enums case-insensitive, `traceType:unknown` = no trace type, inclusive
Min/Max, strict bounds for `>`/`<`, and the window half-open [start, end).
"""

from __future__ import annotations

from typing import Any

from revenium import params as P
from revenium.query import Query, Value
from storage import columns as C

Clause = tuple[str, list[Any]]


def predicate(name: str, value: Value, col: str, key: str | None = None) -> Clause:
    """One filter on column `col` (`key`: its lower-cased twin, for enums)."""
    param = P.param(name)
    if param.role is P.Role.MIN:
        return f"{col} >= ?", [value]
    if param.role is P.Role.MAX:
        return f"{col} <= ?", [value]
    if param.kind is P.Kind.BOOL:
        return f"{col} = ?", [int(bool(value))]
    if param.kind is P.Kind.ENUM:
        assert key is not None, name
        return f"{key} = ?", [str(value).lower()]
    if name == P.TRACE_TYPE and value == P.NO_TRACE_TYPE:
        return f"({col} IS NULL OR {col} = '' OR {col} = ?)", [value]
    return f"{col} = ?", [value]


def filters(query: Query) -> list[Clause]:
    """The filters and strict bounds of `query` over the `records` columns (no window)."""
    out = []
    for name, value in query.filters:
        col = C.column(name)
        out.append(predicate(name, value, col.name, col.key))
    for strict in query.strict:
        out.append((f"{C.BY_PATH[strict.field].name} {strict.op} ?", [strict.value]))
    return out


def span(start: int, end: int) -> Clause:
    """Rows whose time lies in [start, end) (microseconds): a range on the primary key."""
    return f"{C.TIME} >= ? AND {C.TIME} < ?", [start, end]


def join(clauses: list[Clause]) -> Clause:
    if not clauses:
        return "1", []
    return " AND ".join(c[0] for c in clauses), [p for c in clauses for p in c[1]]
