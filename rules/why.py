"""Why spend changed between two windows: each value's share of the change, by dimension.

Every dimension partitions the spend, so within one dimension the values' changes add
up to the total change. Each value's change splits into a volume effect (more or fewer
images at the average of the two prices) and a price effect (the change in cost per
image over the average of the two volumes): the two-factor Shapley split, which adds up
exactly. A value with no images on one side is new, vanished or image-less: all volume.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from revenium import params as P
from revenium import windows as W
from revenium.figures import Summary, summarize
from revenium.query import Query, Value, Window
from rules.history import History
from rules.model import Rule

DIMENSIONS = tuple(
    P.param(name).name
    for name in (
        "model",
        "provider",
        "agent",
        "environment",
        "organizationName",
        "resolution",
        "quality",
        "operationSubtype",
    )
)
TOP_DRIVERS = 3
Status = Literal["new", "vanished", "changed"]
# What is asked: figures of a query (dimension None: one row for all), as SourceCache.rows.
Rows = Callable[[Query, str | None], Sequence[tuple[Any, Summary]]]


def rows_of(source: History) -> Rows:
    """A source's figures as `Rows`: one row for all when no dimension is asked."""
    return lambda q, by: [(None, source.summary(q))] if by is None else source.grouped(q, by)


# An alert's query in, what moved it out (None when the source cannot say): for the engine.
Changes = Callable[[Query], "Change | None"]
_NOTHING = summarize(())
_MICRO = 6  # dollars are kept to the micro-dollar, as the summaries are
_PER_DOLLAR = 1_000_000


@dataclass(frozen=True)
class Contribution:
    """One value's part in the change: its spend before and after, and why it moved."""

    dimension: str  # API name, e.g. "model"
    value: Value | None  # None: records without this field
    before: float
    after: float
    images_before: int
    images_after: int
    volume: float  # more (or fewer) images, at the average cost per image
    price: float  # a higher (or lower) cost per image, over the average volume
    status: Status

    @property
    def delta(self) -> float:
        return round(self.after - self.before, _MICRO)


@dataclass(frozen=True)
class Change:
    """The change in spend from `versus` to `window`, and every value's contribution,
    largest first (each dimension's add up to the total)."""

    window: Window
    versus: Window
    before: Summary
    after: Summary
    contributions: tuple[Contribution, ...]

    @property
    def delta(self) -> float:
        return round(self.after.cost - self.before.cost, _MICRO)

    def share(self, part: Contribution) -> float | None:
        """`part`'s delta as a fraction of the total change (None when nothing changed)."""
        return part.delta / self.delta if self.delta else None

    def top(self, n: int = TOP_DRIVERS) -> tuple[Contribution, ...]:
        """The `n` biggest movers, a value explained by another dimension's left out (a model
        with one provider moves that provider by the same amounts)."""
        return _distinct(self.contributions, n)

    def drivers(self, n: int = TOP_DRIVERS) -> tuple[Contribution, ...]:
        """The `n` values that moved most out of proportion: a segment with 85 % of the spend
        moves with the total and says little; a model that doubled says why."""
        base = self.before.cost or self.after.cost

        def excess(part: Contribution) -> float:
            held = (part.before if self.before.cost else part.after) / base if base else 0.0
            return abs(part.delta - held * self.delta)

        return _distinct(sorted(self.contributions, key=excess, reverse=True), n)


def _distinct(parts: Sequence[Contribution], n: int) -> tuple[Contribution, ...]:
    out: list[Contribution] = []
    for part in parts:
        if len(out) == n:
            break
        if not any((p.before, p.after) == (part.before, part.after) for p in out):
            out.append(part)
    return tuple(out)


def contribution(
    dimension: str, value: Value | None, before: Summary, after: Summary
) -> Contribution:
    """One value's change, split into volume and price effects that add up to it."""
    delta = round(after.cost - before.cost, _MICRO)
    n0, n1 = before.images, after.images
    if n0 and n1:
        volume = round((n1 - n0) * (before.cost / n0 + after.cost / n1) / 2, _MICRO)
    else:
        volume = delta
    status: Status = (
        "new" if not before.requests else "vanished" if not after.requests else "changed"
    )
    return Contribution(
        dimension,
        value,
        before.cost,
        after.cost,
        n0,
        n1,
        volume,
        round(delta - volume, _MICRO),
        status,
    )


def explain(
    rows: Rows, query: Query, versus: Window, dimensions: Sequence[str] = DIMENSIONS
) -> Change:
    """The change from `versus` to `query`'s window, by each dimension that the query does
    not already pin to one value."""
    assert query.window is not None
    earlier = query.with_window(versus)
    before, after = _total(rows, earlier), _total(rows, query)
    total = _micro(after.cost) - _micro(before.cost)
    parts: list[Contribution] = []
    for dim in dimensions:
        if query.get(dim) is not None:
            continue
        was, now = dict(rows(earlier, dim)), dict(rows(query, dim))
        values = sorted(was.keys() | now.keys(), key=str)
        found = [contribution(dim, v, was.get(v, _NOTHING), now.get(v, _NOTHING)) for v in values]
        parts += _balanced([p for p in found if p.delta], total)
    parts.sort(key=lambda p: (-abs(p.delta), dimensions.index(p.dimension), str(p.value)))
    return Change(query.window, versus, before, after, tuple(parts))


def _balanced(parts: list[Contribution], total: int) -> list[Contribution]:
    """The source sums each value's spend and the total apart, each to the micro-dollar:
    the few micro-dollars they may differ by go to the largest part, so that the parts of
    a dimension add up to the total change exactly."""
    rest = total - sum(_micro(p.delta) for p in parts)
    if not rest or not parts:
        return parts
    big = max(range(len(parts)), key=lambda i: abs(parts[i].delta))
    part = parts[big]
    moved = replace(
        part,
        after=round(part.after + rest / _PER_DOLLAR, _MICRO),
        price=round(part.price + rest / _PER_DOLLAR, _MICRO),
    )
    return [moved if i == big else p for i, p in enumerate(parts)]


def _micro(dollars: float) -> int:
    return round(dollars * _PER_DOLLAR)


def window_before(window: Window) -> Window:
    """The window of the same length that ends where `window` starts."""
    length = window.end - window.start
    return Window(window.start - length, window.start, window.tz, "the window before")


def versus(rule: Rule, window: Window) -> Window:
    """What an alert's window is best compared with: a change rule's baseline, a week before
    for an anomaly rule, else the window before."""
    if rule.baseline is not None:
        shift = rule.baseline.shift
        return Window(window.start - shift, window.end - shift, window.tz, "baseline")
    if rule.anomaly is not None:
        return W.earlier(window, days=7)
    return window_before(window)


def _total(rows: Rows, query: Query) -> Summary:
    return rows(query, None)[0][1]
