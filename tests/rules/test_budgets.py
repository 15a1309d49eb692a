"""Budgets: calendar periods across DST and odd offsets, latching thresholds, forecast."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from revenium.query import Query
from rules.budgets import BudgetEvent, budget_query, budget_status, evaluate_budget, period_bounds
from rules.model import Budget, Period
from rules.notification import NoteKind, budget_notifications
from tests.support.rules import utc


def hours(bounds: tuple[datetime, datetime]) -> float:
    return (bounds[1] - bounds[0]) / timedelta(hours=1)


def local(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize(
    ("tz", "now", "length", "start"),
    [
        ("America/New_York", utc(2026, 3, 8, 12), 23, "2026-03-08 00:00 EST"),
        ("America/New_York", utc(2026, 11, 1, 12), 25, "2026-11-01 00:00 EDT"),
        ("America/New_York", utc(2026, 11, 2, 12), 24, "2026-11-02 00:00 EST"),
        ("Australia/Lord_Howe", utc(2026, 10, 4, 6), 23.5, "2026-10-04 00:00 +1030"),
        ("Australia/Lord_Howe", utc(2026, 4, 5, 6), 24.5, "2026-04-05 00:00 +11"),
        ("Asia/Kolkata", utc(2026, 11, 2, 20), 24, "2026-11-03 00:00 IST"),
    ],
)
def test_day_bounds_across_dst(tz: str, now: datetime, length: float, start: str) -> None:
    bounds = period_bounds(Period.DAY, tz, now)
    assert hours(bounds) == length
    assert local(bounds[0], tz) == start
    assert bounds[0] <= now < bounds[1]
    assert local(bounds[1], tz).endswith(
        ("00:00 EST", "00:00 EDT", "00:00 +11", "00:00 +1030", "00:00 IST")
    )


def test_kolkata_day_starts_at_1830_utc() -> None:
    start, end = period_bounds(Period.DAY, "Asia/Kolkata", utc(2026, 11, 2, 18, 29))
    assert (start, end) == (utc(2026, 11, 1, 18, 30), utc(2026, 11, 2, 18, 30))


def test_week_and_month_bounds() -> None:
    tz = "America/New_York"
    start, end = period_bounds(Period.WEEK, tz, utc(2026, 11, 4, 12))  # a Wednesday
    assert local(start, tz) == "2026-11-02 00:00 EST" and local(end, tz) == "2026-11-09 00:00 EST"
    week_of_fall_back = period_bounds(Period.WEEK, tz, utc(2026, 11, 1, 12))  # Sunday
    assert local(week_of_fall_back[0], tz) == "2026-10-26 00:00 EDT"
    assert hours(week_of_fall_back) == 7 * 24 + 1
    start, end = period_bounds(Period.MONTH, tz, utc(2026, 11, 25, 12))
    assert local(start, tz) == "2026-11-01 00:00 EDT" and local(end, tz) == "2026-12-01 00:00 EST"
    start, end = period_bounds(Period.MONTH, "Europe/Berlin", utc(2026, 12, 31, 23, 30))
    assert local(start, "Europe/Berlin") == "2027-01-01 00:00 CET"  # already January in Berlin
    assert local(end, "Europe/Berlin") == "2027-02-01 00:00 CET"


MONTHLY = Budget("images-monthly", 20_000, Period.MONTH, "Europe/Berlin", channel="C9")
NOV_START = utc(2026, 10, 31, 23)  # Nov 1, 00:00 in Berlin


def run_month(spends: list[tuple[datetime, float]]) -> list[BudgetEvent]:
    """Evaluate at each (time, spend), latching as the store would."""
    latched: frozenset[int] = frozenset()
    forecast_sent = False
    posted: list[BudgetEvent] = []
    for now, spent in spends:
        events = evaluate_budget(MONTHLY, spent, now, latched, forecast_sent=forecast_sent)
        for event in events:
            latched |= event.latches
            forecast_sent |= event.kind == "forecast"
        posted += events
    return posted


def test_thresholds_latch_once_per_period() -> None:
    day = timedelta(days=1)
    spends = [(NOV_START + day * (d + 1), 2_000.0 + 600 * d) for d in range(27)]  # steady
    posted = run_month(spends)
    assert [e.threshold for e in posted if e.kind == "threshold"] == [50, 80]
    assert len([e for e in posted if e.kind == "forecast"]) == 1


def test_jump_over_several_thresholds_posts_only_the_highest() -> None:
    now = NOV_START + timedelta(days=20)
    budget = replace(MONTHLY, forecast=False)
    [event] = evaluate_budget(budget, 17_000, now, frozenset())
    assert event.kind == "threshold" and event.threshold == 80 and event.latches == {50, 80}
    assert evaluate_budget(budget, 17_500, now, event.latches) == []
    [over] = evaluate_budget(budget, 21_000, now, event.latches)
    assert over.threshold == 100 and over.latches == {100}


def test_a_new_period_starts_unlatched() -> None:
    dec = NOV_START + timedelta(days=31)
    [event] = evaluate_budget(MONTHLY, 10_000, dec, frozenset())
    assert event.threshold == 50
    assert event.status.start == utc(2026, 11, 30, 23)
    november = evaluate_budget(MONTHLY, 10_000, NOV_START + timedelta(days=20), frozenset())
    assert november[0].key != event.key


def test_forecast_waits_for_the_minimum_elapsed_fraction_then_warns_once() -> None:
    early = NOV_START + timedelta(days=3)  # 10 % of the month
    assert evaluate_budget(MONTHLY, 5_000, early, frozenset()) == []
    assert budget_status(MONTHLY, 5_000, early).projected is None
    later = NOV_START + timedelta(days=7.5)  # 25 %
    [forecast] = evaluate_budget(MONTHLY, 6_000, later, frozenset())
    assert forecast.kind == "forecast"
    assert forecast.status.projected == pytest.approx(24_000)
    assert forecast.status.end == utc(2026, 11, 30, 23)
    assert evaluate_budget(MONTHLY, 6_100, later, frozenset(), forecast_sent=True) == []


def test_no_forecast_when_on_pace_or_already_over() -> None:
    half = NOV_START + timedelta(days=15)
    assert evaluate_budget(MONTHLY, 9_000, half, frozenset({50})) == []
    over = evaluate_budget(MONTHLY, 25_000, half, frozenset({50, 80}))
    assert [(e.kind, e.threshold) for e in over] == [("threshold", 100)]
    quiet = Budget("b", 100, Period.DAY, forecast=False)
    assert evaluate_budget(quiet, 60, utc(2026, 11, 2, 12), frozenset({50})) == []


def test_thresholds_edited_mid_period_do_not_post_a_lower_one_late() -> None:
    edited = Budget("b", 100, Period.DAY, thresholds=(50, 80, 100), forecast=False)
    assert evaluate_budget(edited, 85, utc(2026, 11, 2, 12), frozenset({80})) == []


def test_budget_query_covers_the_period_with_its_filters() -> None:
    budget = Budget(
        "b", 100, Period.WEEK, "Asia/Kolkata", query=Query(filters=(("model", "flux"),))
    )
    query = budget_query(budget, utc(2026, 11, 4, 12))
    assert query.window is not None and query.get("model") == "flux"
    assert query.window.start == utc(2026, 11, 1, 18, 30) and query.window.label == "this week"


def test_budget_notifications_carry_a_stable_key() -> None:
    now = NOV_START + timedelta(days=20)
    events = evaluate_budget(MONTHLY, 17_000, now, frozenset())
    note, forecast = budget_notifications(MONTHLY, events, now)
    assert note.kind is NoteKind.BUDGET_THRESHOLD and note.percent == 80 and note.channel == "C9"
    assert note.value == 17_000 and note.threshold == 20_000
    assert forecast.kind is NoteKind.BUDGET_FORECAST
    assert forecast.projected == pytest.approx(17_000 / (20 / 30))
    later = now + timedelta(hours=1)
    again = budget_notifications(
        MONTHLY, evaluate_budget(MONTHLY, 17_000, later, frozenset()), later
    )
    assert [n.key for n in again] == [note.key, forecast.key] and note.key != forecast.key
    assert json.loads(note.key)[:3] == ["images-monthly", None, "budget_threshold"]


def test_budget_validation() -> None:
    with pytest.raises(ValueError, match="positive"):
        Budget("b", 0, Period.DAY)
    with pytest.raises(ValueError, match="time zone"):
        Budget("b", 10, Period.DAY, "Mars/Olympus")
    assert Budget("b", 10, Period.DAY, thresholds=(100, 50, 50)).thresholds == (50, 100)
