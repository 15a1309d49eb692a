"""Anomaly rules: the band from past weeks (median and MAD, robust to one past spike), the
same local time of the week across DST, the minimum volume; and, over sandbox data with a
daily and weekly rhythm, how many planted spikes a backtest finds and how often it errs."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revenium.query import Window
from revenium.records import format_time, parse_time
from revenium.sandbox.core import Sandbox
from rules.anomaly import band, past_weeks
from rules.model import Anomaly, Metric, Rule
from rules.replay import run_backtest
from rules.streamed import StreamArchive
from rules.thresholds import evaluate
from tests.fakes.revenium import seeded, source_over
from tests.support.rules import RecordSource, typed_rule

H = timedelta(hours=1)
WEEK = timedelta(days=7)
TUESDAY = datetime(2026, 11, 3, 15, 5, tzinfo=UTC)  # a Tuesday; the window is 14:00-15:00


def test_the_band_is_the_median_and_the_scaled_mad_and_one_spike_moves_neither() -> None:
    # Deviations 0, 60, 60, 30, 30: MAD 30, about 44.5 as a standard deviation.
    calm = band([100.0, 160.0, 40.0, 130.0, 70.0], 3)
    assert calm is not None and calm.median == 100.0 and calm.weeks == 5
    assert calm.high == pytest.approx(100 + 3 * 1.4826 * 30)
    spiked = band([100.0, 900.0, 40.0, 130.0, 70.0], 3)  # one past week spiked
    assert spiked == calm
    same = band([100.0, 100.0, 100.0], 3)  # weeks that agree: the band is still a band
    assert same is not None and same.high == pytest.approx(200.0)
    assert same.low == pytest.approx(0, abs=1e-9)
    assert band([100.0, 100.0], 3) is None  # two weeks say too little


def test_past_weeks_keep_the_local_time_of_the_week_across_dst() -> None:
    # Tuesday Nov 3, 14:00-15:00 in Berlin (CET, UTC+1); a week before, Oct 27, is CET too,
    # two weeks before (Oct 20) was CEST (UTC+2): 14:00 local was 12:00 UTC.
    window = Window(
        datetime(2026, 11, 3, 13, tzinfo=UTC),
        datetime(2026, 11, 3, 14, tzinfo=UTC),
        "Europe/Berlin",
    )
    one, two = past_weeks(window, 2)
    assert (one.start, two.start) == (
        datetime(2026, 10, 27, 13, tzinfo=UTC),
        datetime(2026, 10, 20, 12, tzinfo=UTC),
    )
    assert two.end - two.start == H


def weekly(source: RecordSource, per_minute: float, weeks: int = 5, **values: Any) -> None:
    """The same spend in the rule's window in each of the past `weeks` weeks."""
    for n in range(1, weeks + 1):
        start = TUESDAY - timedelta(minutes=65) - n * WEEK
        source.spend(start, start + H, per_minute, **values)


def odd(**options: Any) -> Rule:
    return Rule("odd", Metric.ANOMALY, 3.0, H, anomaly=Anomaly(**options))


def test_an_hour_far_above_its_weeks_breaches_and_the_finding_carries_the_band() -> None:
    source = RecordSource()
    weekly(source, 0.5)  # $30 each past Tuesday 14:00
    source.spend(TUESDAY - timedelta(minutes=65), TUESDAY - timedelta(minutes=5), 2.0)  # $120
    [finding] = evaluate(odd(), source.fetch, TUESDAY)
    assert finding.breaching and finding.value == pytest.approx(120)
    assert finding.band is not None and finding.band.median == pytest.approx(30)
    assert finding.threshold == pytest.approx(60)  # median + 3 × a third of it
    asked = sorted(q.window.start for q in source.calls if q.window is not None)
    assert asked[:5] == [TUESDAY - timedelta(minutes=65) - n * WEEK for n in (5, 4, 3, 2, 1)]


def test_a_quiet_hour_under_the_minimum_never_fires() -> None:
    source = RecordSource()
    weekly(source, 0.01)  # $0.60 at night
    source.spend(TUESDAY - timedelta(minutes=65), TUESDAY - timedelta(minutes=5), 0.07)  # $4.20
    [finding] = evaluate(odd(), source.fetch, TUESDAY)
    assert not finding.breaching and finding.recovered and not finding.no_data
    [low] = evaluate(odd(min_volume=1.0), source.fetch, TUESDAY)
    assert low.breaching  # seven times the usual, and over a $1 minimum


def test_without_three_weeks_of_traffic_there_is_no_verdict() -> None:
    source = RecordSource()
    weekly(source, 0.5, weeks=2)
    source.spend(TUESDAY - timedelta(minutes=65), TUESDAY - timedelta(minutes=5), 2.0)
    [finding] = evaluate(odd(), source.fetch, TUESDAY)
    assert finding.no_data and not finding.breaching and "3 past weeks" in finding.reason


def test_grouped_anomalies_compare_each_value_with_its_own_weeks() -> None:
    source = RecordSource()
    weekly(source, 0.5, model="dall-e-3")
    weekly(source, 2.0, model="flux-pro")
    now = (TUESDAY - timedelta(minutes=65), TUESDAY - timedelta(minutes=5))
    source.spend(*now, 2.0, model="dall-e-3")  # 4× its usual
    source.spend(*now, 2.0, model="flux-pro")  # its usual
    rule = Rule("odd", Metric.ANOMALY, 3.0, H, by="model", anomaly=Anomaly())
    found = {f.group: f.breaching for f in evaluate(rule, source.fetch, TUESDAY)}
    assert found == {"dall-e-3": True, "flux-pro": False}


# -- planted spikes over the sandbox ----------------------------------------------------
#
# The sandbox draws 1,000 requests a day along a daily rhythm (a business-day peak around
# 15:00 UTC, an APAC bump around 03:00, quiet early mornings), halves weekends and swings
# each day by ±20 %; costs follow the catalog's prices and image counts. 64 days end on a
# Monday: the last 28 are judged, with 5 weeks of history before them.
#
# Planted: 20 spikes in distinct hours of the week, each 40 requests within one clock hour
# adding 2-4 times what that hour usually spends (at least $8). A fired alert "finds" a spike
# when it fires within 2 h 10 min of the spike's hour starting (the window must cover it,
# twice in a row); any other fired alert is a false one. Rules are evaluated every 15
# minutes rather than 5, to keep the suite fast (the windows judged are a third as many).

END = datetime(2026, 12, 7, tzinfo=UTC)
JUDGED = Window(END - timedelta(days=28), END, "UTC")
SPIKES, FOUND_WITHIN = 20, timedelta(hours=2, minutes=10)


def sandbox(seed: int) -> Sandbox:
    return seeded(end=END, seed=seed, days=64, per_day=1000)


def plant(box: Sandbox, seed: int) -> list[datetime]:
    hourly: dict[datetime, float] = defaultdict(float)
    for r in box.records():
        hourly[parse_time(r["requestTime"]).replace(minute=0, second=0, microsecond=0)] += (
            r["totalCost"] or 0.0
        )
    rng, spikes, used = random.Random(seed), [], set()
    while len(spikes) < SPIKES:
        hour = JUDGED.start + timedelta(hours=rng.randrange(24, 27 * 24))
        if (hour.weekday(), hour.hour) in used:
            continue
        used.add((hour.weekday(), hour.hour))
        usual = sorted(hourly[hour - n * WEEK] for n in range(1, 6))[2]
        extra = max(8.0, usual * rng.uniform(2, 4))
        box.add_records(spike(hour, extra, len(spikes)))
        spikes.append(hour)
    return spikes


def spike(hour: datetime, extra: float, n: int) -> Iterator[dict[str, Any]]:
    for i in range(40):
        yield {
            "id": f"spike{n:02d}x{i:02d}",
            "requestTime": format_time(hour + timedelta(seconds=60 + 80 * i)),
            "totalCost": round(extra / 40, 6),
            "model": "dall-e-3",
            "requestedImageCount": 1,
            "actualImageCount": 1,
        }


@pytest.mark.slow
def test_planted_spikes_are_found_and_little_else() -> None:
    box = sandbox(11)
    spikes = plant(box, 11)
    rule = typed_rule("odd-spend when cost anomaly per 1h every 15m", END)
    assert (rule.threshold, rule.anomaly) == (3.0, Anomaly(Metric.COST, 5.0))
    episodes = run_backtest(rule, StreamArchive(source_over(box)), JUDGED).episodes
    found = {s for s in spikes for e in episodes if s <= e.fired_at <= s + FOUND_WITHIN}
    true = [e for e in episodes if any(s <= e.fired_at <= s + FOUND_WITHIN for s in spikes)]
    recall, precision = len(found) / len(spikes), len(true) / max(1, len(episodes))
    assert recall >= 0.9 and precision >= 0.9, (recall, precision, len(episodes))


@pytest.mark.slow
def test_a_clean_month_posts_nothing() -> None:
    rule = typed_rule("odd-spend when cost anomaly per 1h every 15m", END)
    result = run_backtest(rule, StreamArchive(source_over(sandbox(12))), JUDGED)
    assert result.messages == []
