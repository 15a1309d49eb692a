"""What `parse_filters` gathers while it reads, and the checks that need all of it:
repeated keys, two windows, empty ranges; then the finished Query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import messages as msg
from revenium import params as P
from revenium import windows as W
from revenium.query import Query, Strict, Value, Window

Direction = Literal["asc", "desc"]
_END_ONLY_SPAN = timedelta(hours=W.DEFAULT_AMOUNT)  # `endDate:` alone: the default span before it


@dataclass(frozen=True)
class Bound:
    """One inclusive Min/Max value, with the strict comparison it came from (if any)."""

    param: P.Param
    value: int | float
    strict: Strict | None
    token: str


@dataclass(frozen=True)
class FilterParts:
    query: Query  # window always resolved (default: last 24 hours)
    tz: str  # IANA zone used: `tz ZONE` from the text, else the default
    window_given: bool  # the text named a window (rules and budgets may refuse one)
    interval: str | None = None  # `by hour` / `by day`


@dataclass
class Parts:
    now: datetime
    zone: ZoneInfo
    filters: dict[str, tuple[Value, str]] = field(default_factory=dict)
    bounds: dict[str, Bound] = field(default_factory=dict)
    window: tuple[Window, str] | None = None
    points: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    group: tuple[str, str] | None = None
    interval: tuple[str, str] | None = None
    sort: list[tuple[str, Direction]] = field(default_factory=list)

    def add_filter(self, name: str, value: Value, key: str) -> None:
        if name in self.filters:
            raise UsageError(msg.given_twice(key))
        self.filters[name] = (value, key)

    def add_bound(self, bound: Bound) -> None:
        first = self.bounds.get(bound.param.name)
        if first is not None:
            raise UsageError(msg.bound_twice(bound.token, first.token))
        self.bounds[bound.param.name] = bound

    def set_window(self, window: Window, phrase: str) -> None:
        self._one_window(phrase)
        self.window = (window, phrase)

    def set_point(self, name: str, when: datetime, phrase: str) -> None:
        if name in self.points:
            raise UsageError(msg.given_twice(name))
        if self.window is not None:
            raise UsageError(msg.two_windows(self.window[1], phrase))
        self.points[name] = (when, phrase)

    def set_group(self, name: str, phrase: str) -> None:
        if self.group is not None:
            raise UsageError(msg.group_twice(self.group[1], phrase))
        self.group = (name, phrase)

    def set_interval(self, interval: str, phrase: str) -> None:
        if self.interval is not None:
            raise UsageError(msg.group_twice(self.interval[1], phrase))
        self.interval = (interval, phrase)

    def add_sort(self, name: str, direction: Direction) -> None:
        if any(name == seen for seen, _ in self.sort):
            raise UsageError(msg.sort_twice(name))
        self.sort.append((name, direction))

    def finish(self) -> FilterParts:
        self._check_ranges()
        filters = [(name, value) for name, (value, _) in self.filters.items()]
        filters += [(b.param.name, b.value) for b in self.bounds.values()]
        strict = sorted((b.strict for b in self.bounds.values() if b.strict), key=_strict_key)
        query = Query(
            filters=tuple(filters),
            window=self._resolve_window(),
            group_by=self.group[0] if self.group else None,
            sort=tuple(self.sort),
            strict=tuple(strict),
        )
        given = self.window is not None or bool(self.points)
        interval = self.interval[0] if self.interval else None
        return FilterParts(query, self.zone.key, given, interval)

    def _one_window(self, phrase: str) -> None:
        if self.window is not None:
            raise UsageError(msg.two_windows(self.window[1], phrase))
        if self.points:
            first = next(iter(self.points.values()))[1]
            raise UsageError(msg.two_windows(first, phrase))

    def _check_ranges(self) -> None:
        for low in self.bounds.values():
            if low.param.role is not P.Role.MIN:
                continue
            high = next(
                (
                    b
                    for b in self.bounds.values()
                    if b.param.role is P.Role.MAX and b.param.field == low.param.field
                ),
                None,
            )
            if high is None:
                continue
            touching = low.value == high.value and low.param.kind is P.Kind.NUMBER
            if low.value > high.value or (touching and (low.strict or high.strict)):
                raise UsageError(msg.empty_range(low.token, high.token))

    def _resolve_window(self) -> Window:
        start, end = self.points.get(P.START_DATE), self.points.get(P.END_DATE)
        if start is None and end is None:
            return self.window[0] if self.window else W.default(self.now, self.zone)
        phrase = " ".join(p[1] for p in (start, end) if p is not None)
        try:
            if start is None:
                assert end is not None
                return W.between(end[0] - _END_ONLY_SPAN, end[0], self.now, self.zone)
            if end is None:
                return W.since(start[0], self.now, self.zone)
            return W.between(start[0], end[0], self.now, self.zone)
        except W.WindowError as error:
            raise UsageError(msg.bad_window(phrase, error.reason)) from None


def _strict_key(strict: Strict) -> tuple[str, str]:
    return (strict.field, strict.op)
