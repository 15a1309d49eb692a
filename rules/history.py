"""The one history interface the engine reads, live or in a backtest, and a backtest's plan.

Live, the History is the MetricsSource itself: every window asked as it comes. A backtest
asks thousands of windows of one rule: an Archive reads the span once into per-bucket sums
on a grid every window falls on (`Plan`), and `Bucketed` answers each window by summing
its buckets; a question off the plan (another filter, another grid) goes to the source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from revenium import params as P
from revenium.figures import Summary, ranked, summary_of
from revenium.query import Query, Value, Window
from rules.sums import Cube, Dims, Sums
from rules.thresholds import EMPTY


class History(Protocol):
    """Figures of any window, as the engine reads them (a MetricsSource is one)."""

    def summary(self, query: Query) -> Summary: ...

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]: ...


class Archive(Protocol):
    """Where backtests read the past: the mirror in SQL (storage/history.py), or the API
    streamed (rules/streamed.py)."""

    def earliest(self) -> datetime | None:
        """How far back a backtest's evaluations may start; None: as far as asked."""
        ...

    def history(self, plan: Plan | None) -> History:
        """Figures of the plan's windows, read once; None: every window asked as it comes."""
        ...


@dataclass(frozen=True)
class Plan:
    """A backtest's span [origin, origin + buckets × step) on a grid every window it reads
    falls on, the rule's filters, and the cubes to sum: `main` answers the evaluations,
    `extra` the top contributors of an alert (summed only where records are read anyway)."""

    base: Query  # the rule's filters and strict bounds; no window
    origin: datetime
    step: timedelta
    buckets: int
    main: Dims
    extra: tuple[Dims, ...] = ()

    @property
    def end(self) -> datetime:
        return self.origin + self.buckets * self.step

    @property
    def cubes(self) -> tuple[Dims, ...]:
        return (self.main, *self.extra)

    def at(self, index: int) -> datetime:
        return self.origin + index * self.step

    def first_from(self, when: datetime) -> int:
        """The first bucket starting at or after `when`, within [0, buckets]."""
        index = -((self.origin - when) // self.step)  # ceiling division
        return max(0, min(self.buckets, index))

    def span(self, window: Window | None) -> tuple[int, int] | None:
        """The buckets [a, b) of a window on the grid and inside the span, else None."""
        if window is None:
            return None
        a, off_a = divmod(window.start - self.origin, self.step)
        b, off_b = divmod(window.end - self.origin, self.step)
        if off_a or off_b or a < 0 or b > self.buckets:
            return None
        return a, b

    def extras(self, query: Query) -> dict[str, Value] | None:
        """The exact filters `query` adds to the rule's (an alert's group), or None when it
        is another question: other bounds, a filter changed, a filter not matched exactly."""
        if query.strict != self.base.strict or not set(self.base.filters) <= set(query.filters):
            return None
        added = dict(set(query.filters) - set(self.base.filters))
        return added if all(exact(name) for name in added) else None


def exact(name: str) -> bool:
    """Whether a filter on this dimension is plain equality of its value (which a bucket's
    group value can be compared with): text, but not enums (case-insensitive) nor traceType
    (`unknown` matches none)."""
    param = P.param(name)
    return param.kind is P.Kind.STRING and param.role is P.Role.FILTER and name != P.TRACE_TYPE


class Bucketed:
    """A History over a plan: windows on its grid summed from its cubes' buckets; any other
    question asked of `rest` (the source), as a live evaluation asks it."""

    def __init__(self, plan: Plan, cubes: Mapping[Dims, Cube], rest: History) -> None:
        self.plan, self.cubes, self.rest = plan, cubes, rest

    def summary(self, query: Query) -> Summary:
        found = self._sums(query, None)
        if found is None:
            return self.rest.summary(query)
        return summary_of(found[0][1]) if found else EMPTY

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        found = self._sums(query, dimension)
        if found is None:
            return self.rest.grouped(query, dimension)
        return ranked((value, summary_of(sums)) for value, sums in found)

    def _sums(self, query: Query, dimension: str | None) -> list[tuple[Any, Sums]] | None:
        """Sums per value of `dimension` (None: one row) with the query's filters, or None
        when the buckets cannot answer it."""
        span, extras = self.plan.span(query.window), self.plan.extras(query)
        if span is None or extras is None:
            return None
        dims = tuple(sorted({*extras, *([dimension] if dimension else [])}))
        cube = self.cubes.get(dims)
        if cube is None:
            return None
        pick = dims.index(dimension) if dimension else None
        rows = cube.window(*span)
        if extras:
            at = [(dims.index(name), value) for name, value in extras.items()]
            rows = [(key, sums) for key, sums in rows if all(key[i] == v for i, v in at)]
        return [(None if pick is None else key[pick], sums) for key, sums in rows]
