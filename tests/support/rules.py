"""Test helpers for rules/: summaries built by hand, rules as typed, and a record source that
answers queries the way the mirror does (window, exact filters, group by) through
figures.group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.grammar.actions import AddRule, Where
from bot.grammar.configure import parse_action
from revenium import params as P
from revenium.figures import Summary, group, summarize
from revenium.query import Query
from revenium.records import Record, format_time, parse_time
from revenium.records import field as record_field
from rules.model import Rule
from rules.thresholds import Group

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday, aligned to every grid used here


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def typed_rule(text: str, now: datetime = T0, channel: str = "C0ALERTS") -> Rule:
    """A rule as an admin types it after `/imgmetrics rule add`."""
    action = parse_action("rule", ["add", *text.split()], Where(now, "UTC", channel, "U0ADMIN"))
    assert isinstance(action, AddRule)
    return action.rule


def summary(**figures: Any) -> Summary:
    """A Summary with the given figures; the others as for zero traffic."""
    return replace(summarize(()), **figures)


def cost_summary(cost: float, requests: int = 100) -> Summary:
    return summary(cost=cost, requests=requests)


def constant(
    rows: Sequence[tuple[Group, Summary]],
) -> Callable[[Query], list[tuple[Group, Summary]]]:
    return lambda _query: list(rows)


@dataclass
class RecordSource:
    """Records in memory; `fetch` filters by window and exact filters, then groups."""

    records: list[Record] = field(default_factory=list)
    calls: list[Query] = field(default_factory=list)
    fail: Exception | None = None

    def add(self, when: datetime, n: int = 1, **values: Any) -> None:
        for _ in range(n):
            self.records.append({"requestTime": format_time(when), **values})

    def spend(self, start: datetime, end: datetime, per_minute: float, **values: Any) -> None:
        """One record a minute over [start, end), each costing `per_minute`."""
        when = start
        while when < end:
            self.add(when, totalCost=per_minute, actualImageCount=1, **values)
            when += timedelta(minutes=1)

    def fetch(self, query: Query) -> list[tuple[Group, Summary]]:
        self.calls.append(query)
        if self.fail is not None:
            raise self.fail
        assert query.window is not None
        window = query.window
        chosen = [
            r
            for r in self.records
            if window.contains(parse_time(r["requestTime"]))
            and all(record_field(r, P.param(n).field or n) == v for n, v in query.filters)
        ]
        if query.group_by is None:
            return [(None, summarize(chosen))]
        path = P.param(query.group_by).field
        assert path is not None
        return group(chosen, path)
