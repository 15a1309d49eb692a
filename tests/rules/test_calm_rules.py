"""The pure parts of calm notifications and of what new rules read: who holds back whom, in
which order; what the end of quiet hours sends and folds, and inside-or-not across DST; the
30 days a new value must not have been seen in; the month-end forecast; stored rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from revenium.query import Query, Window
from rules.forecast import forecast, month_to_date, pace_window
from rules.inhibition import Fired, Holder, decide, why_held
from rules.model import Anomaly, Metric, Rule
from rules.notification import NoteKind, Notification, fired_key
from rules.novelty import lookback
from rules.quiet import Held, QuietHours, settle
from rules.state import InstanceState, State
from tests.support.rules import T0, typed_rule

H = timedelta(hours=1)
OPENAI = frozenset({"OPENAI"})


def holder(text: str, group: object = None) -> Holder:
    rule = typed_rule(text)
    return Holder.of(rule, group, fired_key(rule.name, group, T0))  # type: ignore[arg-type]


def test_who_holds_back_whom() -> None:
    provider = holder("p when cost > 100 per 1h provider:OPENAI")
    by_provider = holder("bp when cost > 100 per 1h by provider", "OPENAI")
    per_model = typed_rule("m when cost > 50 per 1h by model")
    assert why_held(provider, per_model, "dall-e-3", lambda r, g: OPENAI) == "provider"
    assert why_held(by_provider, per_model, "dall-e-3", lambda r, g: OPENAI) == "provider"
    both = frozenset({"OPENAI", "GOOGLE_AI"})  # imagen spend also on another provider: not held
    assert why_held(provider, per_model, "imagen-4", lambda r, g: both) is None
    errors = typed_rule("e when errors > 5 per 1h by model")  # another metric: not by default
    assert why_held(provider, errors, "dall-e-3", lambda r, g: OPENAI) is None
    staging = holder("s when cost > 100 per 1h provider:OPENAI env:staging")
    assert why_held(staging, per_model, "dall-e-3", lambda r, g: OPENAI) is None

    crit = holder("c when cost > 90 per 1h by model severity critical", "dall-e-3")
    assert why_held(crit, per_model, "dall-e-3", lambda r, g: OPENAI) == "severity"
    assert why_held(crit, per_model, "flux-pro", lambda r, g: OPENAI) is None  # another scope
    critical_model = typed_rule("cm when cost > 50 per 1h by model severity critical")
    assert why_held(provider, critical_model, "dall-e-3", lambda r, g: OPENAI) is None

    named = holder("n when error-rate > 5% per 1h env:production inhibits m")
    assert why_held(named, per_model, "dall-e-3", lambda r, g: OPENAI) == "inhibits"
    elsewhere = typed_rule("m when cost > 50 per 1h env:staging")
    assert why_held(named, elsewhere, None, lambda r, g: OPENAI) is None  # scopes contradict
    assert why_held(holder("m when cost > 1 per 1h"), per_model, "x", lambda r, g: OPENAI) is None


def note(rule: Rule, group: object) -> Notification:
    return Notification(
        NoteKind.FIRED,
        rule.name,
        T0.isoformat(),
        T0,
        "C1",
        group,
        fired_at=T0,  # type: ignore[arg-type]
    )


def test_deciding_in_order_lets_the_broad_alert_speak_first_and_never_loops() -> None:
    firing = InstanceState(State.FIRING, T0, fired_at=T0, notified=True)
    model = typed_rule("a-model when cost > 50 per 1h by model")
    provider = typed_rule("z-provider when cost > 100 per 1h provider:OPENAI")
    one = typed_rule("one when cost > 1 per 1h inhibits two")
    two = typed_rule("two when cost > 1 per 1h inhibits one")
    fired = [
        Fired(r, note(r, g), firing)
        for r, g in ((model, "dall-e-3"), (provider, None), (one, None), (two, None))
    ]
    decided = {d.note.subject: d for d in decide(fired, [], lambda r, g: OPENAI)}
    assert decided["z-provider"].note.kind is NoteKind.FIRED
    held = decided["a-model"]
    assert held.note.kind is NoteKind.HELD and held.note.parent == fired_key("z-provider", None, T0)
    assert held.state.held_by == held.note.parent and not held.state.notified
    assert held.note.detail == "provider:z-provider"
    # Mutual inhibition: the first decided posts and holds the other back; no loop.
    assert (decided["one"].note.kind, decided["two"].note.kind) == (NoteKind.FIRED, NoteKind.HELD)


def rows(*spec: tuple[str, str, str | None]) -> list[Held]:
    return [
        Held(k, kind, "r", None, thread, T0 + i * H) for i, (k, kind, thread) in enumerate(spec)
    ]


def test_the_end_of_quiet_hours_sends_what_still_means_something() -> None:
    ending = settle(
        rows(
            ("f1", "fired", None),
            ("m1", "reminder", "f1"),
            ("r1", "resolved", "f1"),  # came, went
            ("f2", "fired", None),
            ("h2", "held", "f2"),  # still firing, with a held note
            ("r0", "resolved", "f0"),  # resolve of an alert posted before the night
            ("b1", "budget_threshold", None),
            ("s2", "silenced", "f2"),
        )
    )
    assert ending.send == ("f2", "h2", "r0", "s2")
    assert set(ending.fold) == {"f1", "m1", "r1", "b1"}
    assert [(f.key, r.key) for f, r in ending.fired_and_resolved] == [("f1", "r1")]
    assert [h.key for h in ending.still_firing] == ["f2"]
    assert [h.key for h in ending.resolved] == ["r0"] and [h.key for h in ending.budgets] == ["b1"]
    assert ending.skipped == 1


def test_quiet_hours_read_the_wall_clock_of_their_zone() -> None:
    night = QuietHours("C1", time(22), time(7), "Europe/Berlin")
    # Oct 25, 2026: 07:00 local is 06:00 UTC after the clocks went back at 03:00.
    assert night.contains(datetime(2026, 10, 25, 5, 59, tzinfo=UTC))
    assert not night.contains(datetime(2026, 10, 25, 6, 0, tzinfo=UTC))
    assert night.contains(datetime(2026, 10, 24, 20, 0, tzinfo=UTC))  # 22:00 CEST
    assert not night.contains(datetime(2026, 10, 24, 19, 59, tzinfo=UTC))
    lunch = QuietHours("C1", time(12), time(13), "UTC")
    assert lunch.contains(T0) and not lunch.contains(T0 + H)
    assert QuietHours.from_dict(json.loads(json.dumps(night.to_dict()))) == night
    with pytest.raises(ValueError, match="different times"):
        QuietHours("C1", time(7), time(7))


def test_the_lookback_of_a_new_value_rule_is_aligned_pieces_that_repeat() -> None:
    window = Window(T0 - timedelta(minutes=65) + timedelta(minutes=40), T0, "UTC")
    pieces = lookback(window)
    assert [(p.start, p.end) for p in pieces] == [
        (datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)),
        (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, 11, tzinfo=UTC)),
        (datetime(2026, 11, 2, 11, tzinfo=UTC), window.start),
    ]
    later = lookback(Window(window.start + timedelta(minutes=5), T0 + timedelta(minutes=5)))
    assert later[:2] == pieces[:2]  # what an evaluation 5 minutes later asks again


def test_the_month_end_forecast_is_the_month_so_far_plus_the_weeks_pace() -> None:
    month = month_to_date(T0, "UTC")  # Nov 1 to Nov 2 12:00
    assert month.start == datetime(2026, 11, 1, tzinfo=UTC) and month.end == T0
    assert pace_window(month).start == month.start  # younger than a week: all of it
    found = forecast(month, 150.0, 150.0)
    assert found.pace == pytest.approx(100.0) and found.days_left == pytest.approx(28.5)
    assert found.value == pytest.approx(150 + 100 * 28.5)
    assert found.method == "month to date + the last 2 days' pace × days left"
    late = month_to_date(datetime(2026, 11, 30, 23, 59, tzinfo=UTC), "America/New_York")
    assert forecast(late, 10.0, 7.0).end == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_new_fields_round_trip_and_rules_stored_before_them_still_load() -> None:
    rule = Rule(
        "odd",
        Metric.ANOMALY,
        2.5,
        H,
        by="model",
        anomaly=Anomaly(Metric.IMAGES, 40.0, 6),
        severity="critical",
        inhibits=("b", "a"),
    )
    assert rule.inhibits == ("a", "b")
    assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    old = Rule("r", Metric.COST, 5, H).to_dict()
    for name in ("anomaly", "severity", "inhibits"):
        del old[name]
    back = Rule.from_dict(old)
    assert (back.anomaly, back.severity, back.inhibits) == (None, "warning", ())
    state = InstanceState(State.FIRING, T0, fired_at=T0).to_dict()
    del state["held_by"]
    assert InstanceState.from_dict(state).held_by is None
    with pytest.raises(ValueError, match="anomaly"):
        Rule("odd", Metric.ANOMALY, 3, H)
    with pytest.raises(ValueError, match="dimension"):
        Rule("new", Metric.NEW_VALUE, 0, H)
    assert Query() == rule.query
