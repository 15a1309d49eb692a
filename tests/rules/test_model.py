"""Rule, budget and digest definitions: defaults, checks, windows, storage round trips;
silences; and the state machine's invariants over arbitrary value sequences."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revenium.query import Query, Strict
from rules.model import Baseline, Budget, Digest, Metric, Period, Rule, span
from rules.silences import Silence, expired_while_firing, is_silenced
from rules.state import InstanceState, step
from rules.thresholds import judge
from tests.support.rules import T0, cost_summary

HOUR = timedelta(hours=1)


def test_defaults_are_the_contracts() -> None:
    rule = Rule("r", Metric.COST, 50, HOUR)
    assert rule.every == timedelta(minutes=5) and rule.settle == timedelta(minutes=5)
    assert rule.for_count == 2 and rule.recovery_threshold == 45.0
    assert rule.reminder == timedelta(hours=4) and rule.min_samples == 20
    assert rule.max_groups == 10 and not rule.paused
    budget = Budget("b", 500, Period.DAY)
    assert budget.thresholds == (50, 80, 100) and budget.forecast
    assert budget.min_elapsed_fraction == 0.2


def test_error_rate_recovery_threshold_is_ninety_percent() -> None:
    assert Rule("e", Metric.ERROR_RATE, 0.05, HOUR).recovery_threshold == 0.045


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"per": timedelta(0)}, "must be positive"),
        ({"every": timedelta(seconds=10)}, "once a minute"),
        ({"for_count": 0}, "at least 1"),
        ({"recovery_ratio": 1.5}, "recovery ratio"),
        ({"threshold": -1}, "negative"),
        ({"kind": Metric.CHANGE}, "baseline"),
        ({"baseline": Baseline()}, "baseline"),
        ({"by": "totalCostMin"}, "cannot group"),
        ({"tz": "Moon/Base"}, "unknown time zone"),
    ],
)
def test_rule_checks(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "r", "kind": Metric.COST, "threshold": 5, "per": HOUR}
    with pytest.raises(ValueError, match=message):
        Rule(**{**fields, **changes})  # type: ignore[arg-type]


def test_window_and_query_at() -> None:
    rule = Rule("r", Metric.COST, 5, timedelta(minutes=30), by="agent", tz="Europe/Berlin")
    window = rule.window_at(T0)
    assert (window.start, window.end, window.tz, window.label) == (
        T0 - timedelta(minutes=35),
        T0 - timedelta(minutes=5),
        "Europe/Berlin",
        "last 30m",
    )
    assert rule.query_at(T0).group_by == "agent" and rule.query_at(T0).window == window
    assert [span(timedelta(seconds=s)) for s in (90, 3600, 86400 * 7, 1800)] == [
        "90s",
        "1h",
        "7d",
        "30m",
    ]


def test_rule_round_trips_through_json() -> None:
    rule = Rule(
        "surge",
        Metric.CHANGE,
        50,
        timedelta(days=1),
        Query(
            filters=(("model", "dall-e-3"), ("billingSkipped", False)),
            strict=(Strict("totalCost", ">", 1.0),),
        ),
        channel="C1",
        by="provider",
        every="*/10 * * * *",
        baseline=Baseline(Metric.IMAGES, timedelta(days=1), "fall", 5),
        tz="Asia/Kolkata",
        created_by="U1",
    )
    back = Rule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert back == rule
    plain = Rule("r", Metric.ERROR_RATE, 0.05, timedelta(minutes=30), min_samples=50)
    assert Rule.from_dict(json.loads(json.dumps(plain.to_dict()))) == plain


def test_budget_and_digest_round_trip_through_json() -> None:
    production = Query(filters=(("environment", "production"),))
    budget = Budget("b", 500, Period.WEEK, "Europe/Berlin", (80, 100), production, channel="C1")
    assert Budget.from_dict(json.loads(json.dumps(budget.to_dict()))) == budget
    digest = Digest("C1", time(9), T0, "America/New_York", weekday=0, skip_empty=True)
    assert Digest.from_dict(json.loads(json.dumps(digest.to_dict()))) == digest
    with pytest.raises(ValueError, match="weekday"):
        Digest("C1", time(9), T0, weekday=7)


def test_a_stored_query_holds_no_window() -> None:
    rule = Rule("r", Metric.COST, 5, HOUR)
    with pytest.raises(ValueError, match="filters only"):
        Rule.to_dict(
            Rule("r", Metric.COST, 5, HOUR, query=rule.query_at(T0).with_window(rule.window_at(T0)))
        )


def test_silences_cover_a_rule_or_one_group_until_they_end() -> None:
    everything = Silence("r", None, T0 + HOUR, by="U1", reason="deploy")
    one = Silence("r", "flux", T0 + 2 * HOUR, by="U2")
    assert is_silenced([everything], "r", "dall-e-3", T0)
    assert not is_silenced([everything], "r", "dall-e-3", T0 + HOUR)  # `until` is exclusive
    assert not is_silenced([everything], "other", None, T0)
    assert is_silenced([one], "r", "flux", T0) and not is_silenced([one], "r", "dall-e-3", T0)
    assert Silence.from_dict(json.loads(json.dumps(one.to_dict()))) == one


def test_expired_while_firing_names_each_ending_in_exactly_one_interval() -> None:
    silence = Silence("r", None, T0 + HOUR, by="U1")
    checks = [T0 + i * timedelta(minutes=5) for i in range(30)]
    hits = [
        now
        for before, now in itertools.pairwise(checks)
        if expired_while_firing([silence], "r", "g", before, now) is not None
    ]
    assert hits == [T0 + HOUR]
    longer = Silence("r", "g", T0 + 2 * HOUR, by="U2")  # another still covers it: not over yet
    assert (
        expired_while_firing([silence, longer], "r", "g", T0 + 55 * timedelta(minutes=1), T0 + HOUR)
        is None
    )
    assert expired_while_firing([silence], "r", "g", None, T0 + HOUR) is None
    with pytest.raises(ValueError, match="timezone-aware"):
        Silence("r", None, datetime(2026, 1, 1), by="U1")


RULE = Rule("r", Metric.COST, 50, HOUR)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 20.0, 44.0, 45.0, 47.0, 50.0, 55.0, 90.0]), max_size=150))
def test_alerts_alternate_fired_resolved_with_spaced_reminders(values: list[float]) -> None:
    state = InstanceState()
    seen: list[tuple[str, datetime]] = []
    for i, value in enumerate(values):
        now = T0 + i * timedelta(minutes=5)
        state, transitions = step(
            state, judge(RULE, None, cost_summary(value), RULE.window_at(now)), RULE, now
        )
        seen += [(t.kind, t.at) for t in transitions]
        assert len(transitions) <= 1
    incidents = [k for k, _ in seen if k != "reminder"]
    assert incidents == ["fired", "resolved"] * (len(incidents) // 2) + ["fired"] * (
        len(incidents) % 2
    )
    last_message = None
    for kind, at in seen:
        if kind == "reminder":
            assert last_message is not None and at - last_message >= RULE.reminder
        last_message = at if kind in ("fired", "reminder") else None
    assert state.is_open == (len(incidents) % 2 == 1)


def test_an_edit_keeps_instances_only_while_they_mean_the_same() -> None:
    rule = Rule("r", Metric.COST, 50.0, timedelta(hours=1), channel="C1", by="model")
    kept: list[dict[str, Any]] = [
        {"threshold": 80.0},
        {"per": timedelta(hours=2)},
        {"for_count": 3},
        {"op": ">="},
    ]
    lost: list[dict[str, Any]] = [
        {"by": "agent"},
        {"by": None},
        {"channel": "C2"},
        {"op": "<"},
        {"kind": Metric.ERROR_RATE},
        {"query": Query(filters=(("environment", "prod"),))},
    ]
    for change in kept:
        assert rule.keeps_instances(replace(rule, **change)), change
    for change in lost:
        assert not rule.keeps_instances(replace(rule, **change)), change
