"""Rules run outside the scheduler: backtests, which replay `rules.engine.backtest` over
history read once, and `rule test`'s preview.

A backtest evaluates every few minutes over days: one question per evaluation would be
thousands. `plan` finds the grid every window of the replay falls on; the Archive reads
the span once into per-bucket sums (rules/history.py), and each evaluation sums its
window's buckets. The engine, its state machine and its top contributors are the live ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import reduce
from math import gcd
from zoneinfo import ZoneInfo

from revenium.query import Window
from revenium.source import MetricsSource
from rules.cache import CONTRIBUTOR_DIMENSIONS, SourceCache
from rules.engine import BACKTEST_MAX_STEPS, backtest
from rules.history import Archive, Plan, exact
from rules.model import Rule
from rules.notification import NoteKind, Notification, slot_of
from rules.schedule import slots
from rules.state import InstanceState
from rules.sums import Dims
from rules.thresholds import Finding, Group, evaluate, windows

MAX_BUCKETS = 500_000  # a finer grid than this (odd seconds in a rule) asks window by window
REACH_SLACK = timedelta(hours=1)  # a span of exactly the history kept, asked a moment late
KEPT_ANSWERS = 64  # an evaluation's own window, its baseline, an alert's contributors
_MICROSECOND = timedelta(microseconds=1)


class BeyondHistory(Exception):
    """A backtest reaching back further than the history kept; says how far it can go."""


def backtest_messages(
    rule: Rule, archive: Archive, start: datetime, end: datetime
) -> list[tuple[datetime, Notification]]:
    """Every message `rule` would have sent over [start, end): the live pass's evaluator,
    state machine and top contributors, on a fake clock over history read once."""
    earliest = archive.earliest()
    if earliest is not None and start < earliest - REACH_SLACK:
        raise beyond(rule, earliest, end)
    # An evaluation asks a few windows, never again once it is past: keep the last few.
    cache = SourceCache(archive.history(plan(rule, start, end)), keep=KEPT_ANSWERS)
    return backtest(
        rule,
        cache.fetch(rule.by),
        start,
        end,
        contributors=cache.contributors(rule.by),
        changes=cache.changes(rule),
    )


def plan(rule: Rule, start: datetime, end: datetime) -> Plan | None:
    """The grid of every window the replay of [start, end) reads: from the earliest window
    start to the latest end, in steps of the largest span that divides every offset (5 min
    for a rule checked every 5 min). None when there is nothing to replay or the grid is
    too fine to be worth bucketing."""
    edges = [
        edge
        for at in slots(rule.every, rule.tz, start, end, BACKTEST_MAX_STEPS)
        for window in windows(rule, at)
        for edge in (window.start, window.end)
    ]
    if not edges:
        return None
    origin = min(edges)
    step = reduce(gcd, ((edge - origin) // _MICROSECOND for edge in edges)) * _MICROSECOND
    buckets = (max(edges) - origin) // step
    if buckets > MAX_BUCKETS:
        return None
    base = replace(rule.query, window=None, group_by=None)
    main: Dims = (rule.by,) if rule.by else ()
    return Plan(base, origin, step, buckets, main, contributor_cubes(rule.by))


def contributor_cubes(by: str | None) -> tuple[Dims, ...]:
    """The cubes that name an alert's top contributors (rules/cache.py): each contributing
    dimension, within the alert's group when the rule has one that buckets can match."""
    if by is not None and not exact(by):
        return ()
    group = (by,) if by else ()
    return tuple(tuple(sorted((*group, dim))) for dim in CONTRIBUTOR_DIMENSIONS if dim != by)


def beyond(rule: Rule, earliest: datetime, end: datetime) -> BeyondHistory:
    days = (end - earliest) // timedelta(days=1)
    when = earliest.astimezone(ZoneInfo(rule.tz)).strftime("%Y-%m-%d %H:%M")
    kept = f"{days} day{'' if days == 1 else 's'}"
    return BeyondHistory(
        f"history is kept for the last {kept}: a backtest can reach back to {when}"
        f" ({rule.tz}) at the earliest — ask for `last {days}d` or less"
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


def run_backtest(rule: Rule, archive: Archive, window: Window) -> BacktestResult:
    """What `rule` would have posted over `window`, from history read once."""
    messages = backtest_messages(rule, archive, window.start, window.end)
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
