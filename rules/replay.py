"""Rules run against a MetricsSource outside the scheduler: backtests that read the history
once and replay `rules.engine.backtest` over it in memory, and `rule test`'s preview.

A backtest evaluates every few minutes over days: one request per evaluation would
be thousands. The records of the whole span are read once, sorted by time, and each
evaluation's window is a slice of them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from revenium import params as P
from revenium.figures import Summary, group, summarize
from revenium.query import Query, Window
from revenium.records import Record, field, parse_time
from revenium.source import MetricsSource
from rules.cache import SourceCache
from rules.engine import backtest
from rules.model import Rule
from rules.notification import NoteKind, Notification, slot_of
from rules.state import InstanceState
from rules.thresholds import Finding, Group, evaluate

MAX_RECORDS = 300_000  # history held in memory for one backtest


class TooMuchHistory(Exception):
    """More records than a backtest holds in memory; the message says how to narrow it."""


@dataclass(frozen=True)
class History:
    """The records of a span, read once with `base`'s filters, answering `summary` and
    `grouped` for any window inside it as the source would.

    A query may add exact filters of its own (top contributors add the alert's group):
    those are applied here, since the records were read without them.
    """

    records: list[Record]
    times: list[datetime]
    base: Query

    @classmethod
    def read(cls, source: MetricsSource, query: Query, window: Window) -> History:
        found = source.records(query.with_window(window), limit=MAX_RECORDS + 1)
        if len(found) > MAX_RECORDS:
            raise TooMuchHistory(
                f"more than {MAX_RECORDS:,} records in the backtest's span: narrow the rule's "
                "filters or the backtest window"
            )
        pairs = sorted(((parse_time(r["requestTime"]), r) for r in found), key=lambda p: p[0])
        return cls([r for _, r in pairs], [t for t, _ in pairs], query)

    def summary(self, query: Query) -> Summary:
        return summarize(self._chosen(query))

    def grouped(self, query: Query, dimension: str) -> list[tuple[Group, Summary]]:
        path = P.param(dimension).field
        assert path is not None
        return group(self._chosen(query), path)

    def _chosen(self, query: Query) -> list[Record]:
        assert query.window is not None
        lo = bisect_left(self.times, query.window.start)
        hi = bisect_left(self.times, query.window.end)
        extra = [
            (P.param(n).field or n, v) for n, v in query.filters if (n, v) not in self.base.filters
        ]
        return [
            r
            for r in self.records[lo:hi]
            if query.accepts(r) and all(field(r, path) == v for path, v in extra)
        ]


def backtest_messages(
    rule: Rule, source: MetricsSource, start: datetime, end: datetime
) -> list[tuple[datetime, Notification]]:
    """Every message `rule` would have sent over [start, end): the live pass's evaluator,
    state machine and top contributors, on a fake clock over history read once."""
    earliest = start - rule.settle - rule.per - rule.lookback
    span = Window(earliest, max(end - rule.settle, earliest + timedelta(seconds=1)), rule.tz)
    cache = SourceCache(History.read(source, rule.query, span))
    return backtest(
        rule,
        cache.fetch(rule.by),
        start,
        end,
        contributors=cache.contributors(rule.by),
        changes=cache.changes(rule),
    )


@dataclass(frozen=True)
class Episode:
    """One alert of a backtest: when it fired, for which group, its peak, when it resolved."""

    group: Group
    fired_at: datetime
    value: float | None
    peak: float | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class BacktestResult:
    window: Window
    messages: list[tuple[datetime, Notification]]
    episodes: list[Episode]


def run_backtest(rule: Rule, source: MetricsSource, window: Window) -> BacktestResult:
    """What `rule` would have posted over `window`, from history read once."""
    messages = backtest_messages(rule, source, window.start, window.end)
    return BacktestResult(window, messages, episodes(messages))


def episodes(messages: Sequence[tuple[datetime, Notification]]) -> list[Episode]:
    """Fired messages paired with the resolve that ends them."""
    resolved = {(n.group, n.fired_at): n for _, n in messages if n.kind == "resolved"}
    out = []
    for _, note in messages:
        if note.kind != "fired" or note.fired_at is None:
            continue
        end = resolved.get((note.group, note.fired_at))
        peak = end.peak if end is not None and end.peak is not None else note.value
        out.append(
            Episode(
                note.group, note.fired_at, note.value, peak, end.at if end is not None else None
            )
        )
    return out


def preview(
    rule: Rule, source: MetricsSource, states: Mapping[Group, InstanceState], now: datetime
) -> tuple[list[Finding], Notification | None]:
    """`rule test`: the rule's findings now, and the alert its worst group would post.

    Nothing is stored or sent; the alert is drawn even when nothing breaches, so its
    wording can be checked before it is ever needed.
    """
    cache = SourceCache(source)
    findings = evaluate(rule, cache.fetch(rule.by), now, known=states.keys())
    ranked = sorted(findings, key=lambda f: _severity(rule, f))
    if not ranked:
        return [], None
    worst = ranked[0]
    query = rule.group_query(now, worst.group)
    changes = cache.changes(rule)
    note = Notification(
        kind=NoteKind.FIRED,
        subject=rule.name,
        slot=slot_of(now),
        at=now,
        channel=rule.channel,
        group=worst.group,
        value=worst.value,
        threshold=worst.threshold,
        recovery_threshold=worst.recovery_threshold,
        window=worst.window,
        summary=worst.summary,
        query=query,
        fired_at=now,
        peak=worst.value,
        contributors=tuple(cache.contributors(rule.by)(query)),
        band=worst.band,
        change=None if changes is None else changes(query),
    )
    return ranked, note


def _severity(rule: Rule, finding: Finding) -> tuple[bool, bool, float]:
    """Breaching first, then the worst value; no data last."""
    value = finding.value
    if value is None:
        return True, True, 0.0
    return False, not finding.breaching, value if rule.below else -value
