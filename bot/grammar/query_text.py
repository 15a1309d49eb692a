"""A Query written back as canonical command text, which `parse` reads to the same Query.

Used by the "Show records" button, the "create alert from this query" flow and context lines.
Relative windows stay relative (`last 7 days`) unless `absolute=True` pins their instants.
"""

from __future__ import annotations

from decimal import Decimal

from bot.grammar.tokens import DASHES, DOUBLE_QUOTES, SINGLE_QUOTES, TRAILING
from revenium import params as P
from revenium import windows as W
from revenium.query import Op, Query, Strict, Value

_NEEDS_QUOTES = DOUBLE_QUOTES + SINGLE_QUOTES + DASHES + "<>≥≤"


def format_query(query: Query, *, absolute: bool = False, default_tz: str | None = None) -> str:
    """`model:dall-e-3 cost>0.05 last 7 days by agent tz Europe/Berlin`.

    `tz` is written unless it equals `default_tz` (when given), so the text means the same
    wherever it is read.
    """
    words = [*_filters(query), *_comparisons(query)]
    if query.window is not None:
        window = query.window
        words.append(W.absolute_phrase(window) if absolute else W.phrase(window))
    if query.group_by is not None:
        words.append(f"by {key_of(P.param(query.group_by))}")
    words.extend(f"sort:{prop},{order}" for prop, order in query.sort)
    if query.window is not None and query.window.tz != default_tz:
        words.append(f"tz {query.window.tz}")
    return " ".join(words)


def key_of(param: P.Param) -> str:
    """The short key users type: the first alias, else the API name."""
    return param.aliases[0] if param.aliases else param.name


def quote(value: str) -> str:
    """`value` as typed text: bare when it reads back unchanged, else in quotes that survive it."""
    plain = value and not any(c.isspace() or c in _NEEDS_QUOTES for c in value)
    if plain and not value.endswith((",", ";")):
        return value
    for family, mark in ((DOUBLE_QUOTES, '"'), (SINGLE_QUOTES, "'")):
        if _safe_inside(value, family):
            return f"{mark}{value}{mark}"
    return f'"{value}"'  # both quote kinds end words inside: no faithful spelling exists


def _safe_inside(value: str, family: str) -> bool:
    """No quote of `family` in `value` would be read as the closing one."""
    for i, char in enumerate(value):
        if char in family:
            after = value[i + 1] if i + 1 < len(value) else " "
            if after.isspace() or after in TRAILING:
                return False
    return True


def _filters(query: Query) -> list[str]:
    out = []
    for name, value in query.filters:
        param = P.param(name)
        if param.role is P.Role.FILTER:
            out.append(f"{key_of(param)}:{_value(value)}")
    return out


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return quote(str(value))


def _comparisons(query: Query) -> list[str]:
    """Min/Max rows as `cost>=1`; where a strict bound exists, `cost>1` says it exactly."""
    out = []
    strict = {(s.field, s.op): s for s in query.strict}
    bounds = [(P.param(name), value) for name, value in query.filters]
    bounds.sort(key=lambda b: (b[0].field or b[0].name, b[0].role is P.Role.MAX))
    for param, value in bounds:
        if param.role is P.Role.FILTER:
            continue
        op: Op = ">" if param.role is P.Role.MIN else "<"
        name = param.name
        exact = strict.pop((param.field or name, op), None)
        shown = exact.value if exact is not None else value
        assert isinstance(shown, int | float)
        out.append(f"{param.compare[0]}{op if exact else op + '='}{number(param, shown)}")
    out.extend(_orphan(s) for s in strict.values())
    return out


def _orphan(strict: Strict) -> str:
    """A strict bound with no Min/Max beside it (built by code, not typed): still written."""
    low, _ = next(pair for pair in P.COMPARISONS.values() if pair[0].field == strict.field)
    return f"{low.compare[0]}{strict.op}{number(low, strict.value)}"


def number(param: P.Param, value: float) -> str:
    """Plain decimal (never `1e-05`); durations in the largest whole unit."""
    if param.unit == "ms" and value == int(value) and value:
        ms = int(value)
        if ms % 60_000 == 0:
            return f"{ms // 60_000}m"
        if ms % 1000 == 0:
            return f"{ms // 1000}s"
    text = str(int(value)) if value == int(value) else format(Decimal(repr(float(value))), "f")
    return f"{text}ms" if param.unit == "ms" else text
