"""Backtest = live replay: for random rules (group rules, change, anomaly and new-value
rules, filters, zones, cron) over random traffic, the messages a backtest reports are the
ones a scheduler ticking at every slot over the same source would have sent, top
contributors and what moved an alert included.

Two histories: the mirror's (storage/history.py: SQL buckets, the part older than its
history streamed from the API, questions off the plan asked of the mirror), and a plain
API source's (rules/streamed.py, in slices small enough to split). Anomaly and new-value
rules read weeks back: they run over five weeks of sparser traffic, all of it in the
mirror (asking the API for a month at every live slot would take minutes). Costs are multiples of
1/64, so sums in any order are exact and figures compare bit for bit. Latency percentiles
are the one difference: backtests do not keep durations (no rule measures latency).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from revenium import params as P
from revenium.clock import FakeClock
from revenium.query import Query, Strict
from revenium.records import Record, format_time
from revenium.sandbox.core import Sandbox
from revenium.source import ApiSource
from rules.cache import SourceCache
from rules.engine import run_rule
from rules.history import Archive, History
from rules.model import ANOMALY_MIN_VOLUME, Anomaly, Baseline, Metric, Rule
from rules.notification import Notification
from rules.replay import backtest_messages
from rules.schedule import slots
from rules.streamed import StreamArchive
from storage.db import ThreadDatabases
from storage.history import MirrorArchive
from storage.mirror import Mirror
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, empty, source_over

NOW = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)  # the Monday after the New York fall-back
SPAN = timedelta(hours=40)  # of traffic, ending at NOW
KEPT = timedelta(hours=30)  # the mirror's history: older windows are read from the API
LONG = timedelta(days=33)  # of sparser traffic before SPAN, for anomaly and new-value rules
MODELS = ("dall-e-3", "gpt-image-1", "flux-pro")
NEWCOMER = "imagen-4"  # spends only in the last 5 hours: a new value
AGENTS = ("thumbnailer", "hero-banner")
ENVS = ("production", "staging")
ORGS = ("Acme Corp", "Globex")
COST_MIN = P.BY_NAME["totalCostMin"].field or ""


def traffic(seed: int) -> list[Record]:
    """A record every ~2 minutes per model, a few spikes, errors and short deliveries."""
    rng = random.Random(seed)
    spikes = [
        (
            rng.choice(MODELS),
            NOW - SPAN + rng.random() * SPAN,
            timedelta(minutes=rng.randint(20, 150)),
        )
        for _ in range(rng.randint(1, 4))
    ]
    out, at, i = [], NOW - SPAN, 0
    while at < NOW:
        for model in MODELS:
            hot = any(m == model and s <= at < s + d for m, s, d in spikes)
            for _ in range(rng.choice((0, 1, 1, 2)) + (3 if hot else 0)):
                out.append(_record(rng, i, at + timedelta(seconds=rng.randrange(120)), model))
                i += 1
        at += timedelta(minutes=2)
    return out


def long_traffic(seed: int) -> list[Record]:
    """Five weeks: a record every ~15 minutes per model, busier in the afternoon (a daily
    rhythm past weeks agree on), then the last 40 hours of `traffic` and a newcomer."""
    rng = random.Random(seed + 100)
    out, at, i = [], NOW - SPAN - LONG, 10**5
    while at < NOW - SPAN:
        for model in MODELS:
            for _ in range(rng.choice((0, 1, 1, 2)) + (at.hour in (13, 14, 15))):
                out.append(_record(rng, i, at + timedelta(seconds=rng.randrange(900)), model))
                i += 1
        at += timedelta(minutes=15)
    late = [_record(rng, i + n, NOW - timedelta(minutes=2 * n + 1), NEWCOMER) for n in range(150)]
    return out + traffic(seed) + late


def _record(rng: random.Random, i: int, when: datetime, model: str) -> Record:
    failed = rng.random() < 0.08
    requested = rng.randint(1, 4)
    return {
        "id": f"r{i:06d}",
        "requestTime": format_time(min(when, NOW - timedelta(milliseconds=1))),
        "model": model,
        "agent": rng.choice(AGENTS),
        "environment": rng.choice(ENVS),
        "organization": {"id": "o", "label": rng.choice(ORGS)},
        "totalCost": rng.randint(0, 160) / 64,
        "requestedImageCount": requested,
        "actualImageCount": 0 if failed else rng.choice((requested, requested, requested - 1)),
        "requestDuration": rng.randint(2000, 40000),
        "errorReason": "timeout" if failed else None,
    }


@dataclass(frozen=True)
class Traffic:
    box: Sandbox
    mirrored: MirroredSource


def never(*_: Any, **__: Any) -> None:
    raise AssertionError("the mirror is warm: nothing should sync")


@functools.cache
def world(seed: int, long: bool = False) -> Traffic:
    records = long_traffic(seed) if long else traffic(seed)
    box = empty()
    box.add_records(records)
    clock = FakeClock(NOW)
    dbs = ThreadDatabases(":memory:")  # a throwaway file: the history is read on its own thread
    mirror = Mirror(dbs.get(), clock)
    mirror.upsert(TEAM, records)
    kept = SPAN + LONG + timedelta(days=2) if long else KEPT
    mirror.set_coverage(TEAM, NOW - kept, NOW)
    mirrored = MirroredSource(
        dbs, TEAM, never, source_over(box), clock, freshness=timedelta(days=1), history=kept
    )
    return Traffic(box, mirrored)


THRESHOLDS = {
    Metric.COST: (5.0, 60.0),
    Metric.ERRORS: (0.0, 8.0),
    Metric.IMAGES: (10.0, 120.0),
    Metric.WASTED_COST: (0.0, 6.0),
    Metric.SHORTFALL: (0.0, 12.0),
    Metric.ERROR_RATE: (0.0, 0.2),
    Metric.COST_PER_IMAGE: (0.3, 1.2),
    Metric.CHANGE: (0.0, 150.0),
    Metric.ANOMALY: (1.0, 4.0),  # the sensitivity: robust deviations above the median
    Metric.NEW_VALUE: (0.0, 0.0),
}
LOOKING_BACK = (Metric.ANOMALY, Metric.NEW_VALUE)  # weeks or a month before their window
PLAIN = [m for m in Metric if m not in (Metric.CHANGE, *LOOKING_BACK)]
SHORT = (*PLAIN, Metric.CHANGE)
OPS = [">", ">=", "<", "<="]
FILTERS: list[tuple[tuple[str, Any], ...]] = [
    (),
    (),
    ((P.param("model").name, "dall-e-3"),),
    ((P.param("environment").name, "production"),),  # an enum: case-insensitive
    ((P.param("organizationName").name, "Acme Corp"),),
]


@st.composite
def rules(draw: st.DrawFn, kinds: tuple[Metric, ...] = SHORT) -> Rule:
    kind = draw(st.sampled_from(kinds))
    baseline = anomaly = None
    if kind is Metric.CHANGE:
        baseline = Baseline(
            draw(st.sampled_from(PLAIN)),
            draw(st.sampled_from([timedelta(hours=2), timedelta(hours=6), timedelta(days=1)])),
            draw(st.sampled_from(["rise", "fall"])),
            draw(st.integers(0, 30)),
        )
    if kind is Metric.ANOMALY:
        watched = draw(st.sampled_from(list(ANOMALY_MIN_VOLUME)))
        anomaly = Anomaly(watched, draw(st.floats(0, 20).map(round)), draw(st.integers(3, 4)))
    low, high = THRESHOLDS[kind]
    strict = (Strict(COST_MIN, ">", 0.5),) if draw(st.integers(0, 5)) == 0 else ()
    groups = [None, None, "model", "agent", "environment", "organizationName"]
    ops = [">", ">="] if kind in (Metric.CHANGE, Metric.ANOMALY, Metric.NEW_VALUE) else OPS
    return Rule(
        "r",
        kind,
        draw(st.floats(low, high).map(lambda x: round(x, 2))),
        draw(st.sampled_from([timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)])),
        Query(filters=draw(st.sampled_from(FILTERS)), strict=strict),
        channel="C1",
        by=draw(st.sampled_from(groups[2:] if kind is Metric.NEW_VALUE else groups)),
        op=draw(st.sampled_from(ops)),
        every=draw(st.sampled_from([timedelta(minutes=5), timedelta(minutes=10), "*/20 * * * *"])),
        settle=draw(st.sampled_from([timedelta(0), timedelta(minutes=5)])),
        for_count=draw(st.integers(1, 3)),
        recovery_ratio=draw(st.sampled_from([0.8, 0.9, 1.0])),
        reminder=draw(st.sampled_from([timedelta(0), timedelta(hours=1)])),
        min_samples=draw(st.integers(0, 30)),
        max_groups=draw(st.integers(1, 3)),
        baseline=baseline,
        anomaly=anomaly,
        tz=draw(st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"])),
    )


def live(rule: Rule, source: History, start: datetime, end: datetime) -> list[Any]:
    """A scheduler's passes at every slot, each asking the source afresh (its own cache)."""
    states: dict[Any, Any] = {}
    out = []
    for at in slots(rule.every, rule.tz, start, end, 10_000):
        cache = SourceCache(source)
        result = run_rule(
            rule,
            states,
            cache.fetch(rule.by),
            (),
            at,
            contributors=cache.contributors(rule.by),
            changes=cache.changes(rule),
        )
        assert result.failure is None, result.failure
        states = result.new_states
        out += [(at, note) for note in result.notifications]
    return out


def plain(messages: list[tuple[datetime, Notification]]) -> list[Any]:
    """Messages without latency percentiles, which backtests do not keep (in the alert's
    figures and in what moved them)."""
    out = []
    for at, sent in messages:
        n = sent
        if n.summary is not None:
            n = replace(n, summary=_no_latency(n.summary))
        if n.change is not None:
            before, after = _no_latency(n.change.before), _no_latency(n.change.after)
            n = replace(n, change=replace(n.change, before=before, after=after))
        out.append((at, n))
    return out


def _no_latency(summary: Any) -> Any:
    return replace(summary, duration_p50_ms=None, duration_p95_ms=None)


def check(rule: Rule, archive: Archive, source: History, hours: int) -> None:
    start, end = NOW - timedelta(hours=hours), NOW
    expected = live(rule, source, start, end)
    note(f"{len(expected)} messages: {[(a.isoformat(), n.kind.value) for a, n in expected]}")
    assert plain(backtest_messages(rule, archive, start, end)) == plain(expected)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules(), st.integers(0, 2))
def test_a_backtest_over_the_mirror_sends_what_live_passes_would(rule: Rule, seed: int) -> None:
    mirrored = world(seed).mirrored
    check(rule, MirrorArchive(mirrored), mirrored, hours=10)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules(LOOKING_BACK), st.integers(0, 1))
def test_anomaly_and_new_value_backtests_send_what_live_passes_would(rule: Rule, seed: int) -> None:
    mirrored = world(seed, long=True).mirrored
    check(rule, MirrorArchive(mirrored), mirrored, hours=8)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules(), st.integers(0, 2))
def test_a_backtest_over_the_api_sends_what_live_passes_would(rule: Rule, seed: int) -> None:
    api = source_over(world(seed).box)
    check(rule, SmallSlices(api), api, hours=4)


class SmallSlices(StreamArchive):
    """Slices of 40 records: a span is read in many, some split again."""

    def __init__(self, source: ApiSource) -> None:
        super().__init__(source, slice_records=40)
