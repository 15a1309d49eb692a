"""The per-instance state machine: pending, firing, hysteresis, keep-firing, reminders,
no data and a failing source."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from revenium.query import Query
from rules.model import Metric, Rule
from rules.state import Cause, InstanceState, SourceFailure, State, Transition, step
from rules.thresholds import Finding, judge
from tests.support.rules import T0, cost_summary, summary

STEP = timedelta(minutes=5)
COST = Rule("runaway", Metric.COST, 50.0, timedelta(hours=1), Query(), channel="C1")
RATE = Rule("errors", Metric.ERROR_RATE, 0.05, timedelta(minutes=30))


def finding(rule: Rule, value: float, at: datetime) -> Finding:
    return judge(rule, None, cost_summary(value), rule.window_at(at))


def replay(
    rule: Rule, values: Sequence[float], state: InstanceState | None = None
) -> tuple[InstanceState, list[tuple[int, Transition]]]:
    """Step through one cost value per evaluation; transitions tagged with their index."""
    state = state or InstanceState()
    out: list[tuple[int, Transition]] = []
    for i, value in enumerate(values):
        now = T0 + i * STEP
        state, transitions = step(state, finding(rule, value, now), rule, now)
        out.extend((i, t) for t in transitions)
    return state, out


def kinds(transitions: list[tuple[int, Transition]]) -> list[tuple[int, str]]:
    return [(i, t.kind) for i, t in transitions]


def test_fires_once_after_for_count_breaches_in_a_row() -> None:
    state, transitions = replay(COST, [60, 70])
    assert kinds(transitions) == [(1, "fired")]
    assert state.state is State.FIRING
    assert state.fired_at == T0 + STEP
    assert state.peak_value == 70


def test_pending_goes_back_to_normal_when_the_breach_stops() -> None:
    state, transitions = replay(COST, [60, 10, 60, 10])
    assert transitions == []
    assert state.state is State.NORMAL and state.pending_count == 0


def test_for_count_one_fires_at_the_first_breach() -> None:
    _, transitions = replay(replace(COST, for_count=1), [60])
    assert kinds(transitions) == [(0, "fired")]


def test_for_count_three_needs_three() -> None:
    _, transitions = replay(replace(COST, for_count=3), [60, 60, 40, 60, 60, 60])
    assert kinds(transitions) == [(5, "fired")]


def test_nothing_repeats_while_firing() -> None:
    state, transitions = replay(COST, [60] * 40)  # 3 h 20 m, under the 4 h reminder
    assert kinds(transitions) == [(1, "fired")]
    assert state.state is State.FIRING


def test_reminders_every_four_hours_while_firing() -> None:
    hours = 13
    _, transitions = replay(COST, [60] * (hours * 12))
    reminders = [i for i, t in transitions if t.kind == "reminder"]
    # Fired at index 1; reminders at 4 h, 8 h, 12 h after it, each tied to the same incident.
    assert reminders == [1 + 48, 1 + 96, 1 + 144]
    assert {t.fired_at for _, t in transitions} == {T0 + STEP}


def test_no_reminders_when_disabled() -> None:
    _, transitions = replay(replace(COST, reminder=timedelta(0)), [60] * 100)
    assert kinds(transitions) == [(1, "fired")]


def test_hysteresis_band_oscillation_fires_once_and_never_resolves() -> None:
    # Threshold 50, recovery 45: values between them keep it firing, without messages.
    _, transitions = replay(COST, [60, 60, 46, 55, 45, 49, 51, 46, 52, 45.5])
    assert kinds(transitions) == [(1, "fired")]


def test_recovery_resolves_once_after_keeping_fire_one_interval() -> None:
    state, transitions = replay(COST, [60, 88, 40, 30, 20, 10])
    assert kinds(transitions) == [(1, "fired"), (3, "resolved")]
    resolved = transitions[1][1]
    assert resolved.fired_at == T0 + STEP and resolved.peak == 88
    assert state.state is State.NORMAL and state.fired_at is None and state.peak_value is None


def test_recovering_that_breaches_again_keeps_firing_without_a_message() -> None:
    state, transitions = replay(COST, [60, 60, 40, 60, 40, 47, 40, 40])
    # 40 → Recovering, 60 → Firing again (silent); 40 → Recovering, 47 (band) → Firing;
    # then two below the recovery threshold resolve it.
    assert kinds(transitions) == [(1, "fired"), (7, "resolved")]
    assert state.state is State.NORMAL


def test_recovering_shows_as_its_own_state() -> None:
    state, _ = replay(COST, [60, 60, 40])
    assert state.state is State.RECOVERING and state.is_open


def test_below_rules_mirror_the_band() -> None:
    rule = Rule("quiet", Metric.IMAGES, 100.0, timedelta(hours=1), op="<", for_count=1)
    assert rule.recovery_threshold == 110.0
    state = InstanceState()
    seen = []
    for i, images in enumerate([90, 105, 80, 111, 120]):
        now = T0 + i * STEP
        f = judge(rule, None, summary(images=images, requests=images), rule.window_at(now))
        state, transitions = step(state, f, rule, now)
        seen += [(i, t.kind) for t in transitions]
    assert seen == [(0, "fired"), (4, "resolved")]
    assert state.peak_value is None


def test_zero_threshold_resolves_when_the_count_is_back_to_zero() -> None:
    rule = Rule("any-error", Metric.ERRORS, 0.0, timedelta(hours=1), for_count=1)
    state = InstanceState()
    seen = []
    for i, errors in enumerate([2, 0, 0]):
        now = T0 + i * STEP
        f = judge(rule, None, summary(errors=errors, requests=50), rule.window_at(now))
        state, transitions = step(state, f, rule, now)
        seen += [(i, t.kind) for t in transitions]
    assert seen == [(0, "fired"), (2, "resolved")]


def rate_finding(requests: int, errors: int, at: datetime) -> Finding:
    rate = errors / requests if requests else 0.0
    figures = summary(requests=requests, errors=errors, error_rate=rate)
    return judge(RATE, None, figures, RATE.window_at(at))


def test_too_few_samples_keeps_the_state_exactly() -> None:
    state, now = InstanceState(), T0
    state, _ = step(state, rate_finding(100, 10, now), RATE, now)
    assert state.state is State.PENDING and state.pending_count == 1
    now += STEP
    few = rate_finding(5, 5, now)
    assert few.no_data and not few.breaching and not few.recovered
    held, transitions = step(state, few, RATE, now)
    assert transitions == [] and held.state is State.PENDING and held.pending_count == 1
    now += STEP
    fired, transitions = step(held, rate_finding(100, 10, now), RATE, now)
    assert [t.kind for t in transitions] == ["fired"]
    now += STEP
    kept, transitions = step(fired, rate_finding(3, 0, now), RATE, now)
    assert transitions == [] and kept.state is State.FIRING


def test_too_few_samples_while_normal_shows_no_data() -> None:
    state, transitions = step(InstanceState(), rate_finding(5, 0, T0), RATE, T0)
    assert state.state is State.NODATA and transitions == []
    state, _ = step(state, rate_finding(100, 1, T0 + STEP), RATE, T0 + STEP)
    assert state.state is State.NORMAL


def test_no_traffic_at_all_resolves_a_firing_error_rate() -> None:
    state, now = InstanceState(), T0
    for _ in range(2):
        state, _ = step(state, rate_finding(100, 20, now), RATE, now)
        now += STEP
    assert state.state is State.FIRING
    seen = []
    for _ in range(2):
        state, transitions = step(state, rate_finding(0, 0, now), RATE, now)
        seen += transitions
        now += STEP
    assert [t.kind for t in seen] == ["resolved"]
    assert seen[0].cause is Cause.NO_TRAFFIC
    assert state.state is State.NORMAL


def test_zero_spend_is_data_and_resolves_a_cost_alert() -> None:
    _, transitions = replay(COST, [60, 60, 0, 0])
    assert kinds(transitions) == [(1, "fired"), (3, "resolved")]


def test_source_failure_keeps_state_and_marks_error() -> None:
    firing, _ = replay(COST, [60, 60])
    failure = SourceFailure("Revenium unreachable", T0 + 2 * STEP)
    failed, transitions = step(firing, failure, COST, T0 + 2 * STEP)
    assert transitions == []
    assert failed.state is State.FIRING and failed.status is State.ERROR
    assert failed.fired_at == firing.fired_at and failed.error == "Revenium unreachable"
    again, _ = step(failed, replace(failure, at=T0 + 3 * STEP), COST, T0 + 3 * STEP)
    assert again.error_since == T0 + 2 * STEP  # when it started failing, not the latest
    back, transitions = step(again, finding(COST, 60, T0 + 4 * STEP), COST, T0 + 4 * STEP)
    assert transitions == [] and back.status is State.FIRING and back.error is None


def test_source_failure_does_not_advance_pending() -> None:
    pending, _ = replay(COST, [60])
    failed, _ = step(pending, SourceFailure("down", T0 + STEP), COST, T0 + STEP)
    assert failed.state is State.PENDING and failed.pending_count == 1


def test_instance_state_round_trips_through_json() -> None:
    state, _ = replay(COST, [60, 70, 40])
    state = replace(state, error="x", error_since=T0)
    text = json.dumps(state.to_dict())
    assert InstanceState.from_dict(json.loads(text)) == state
    assert InstanceState.from_dict(InstanceState().to_dict()) == InstanceState()
