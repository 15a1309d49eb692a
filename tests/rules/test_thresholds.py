"""One evaluation: the window asked for, the metric per kind, no data, change rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from revenium.query import Query
from rules.model import Baseline, Metric, Rule
from rules.thresholds import evaluate
from tests.support.rules import T0, RecordSource, constant, summary

HOUR = timedelta(hours=1)


def test_window_ends_settle_before_now_and_spans_per() -> None:
    source = RecordSource()
    rule = Rule(
        "r", Metric.COST, 50, HOUR, Query(filters=(("model", "dall-e-3"),)), tz="Asia/Kolkata"
    )
    [finding] = evaluate(rule, source.fetch, T0)
    [query] = source.calls
    assert query.window is not None
    assert (query.window.start, query.window.end) == (
        T0 - timedelta(minutes=65),
        T0 - timedelta(minutes=5),
    )
    assert query.window.tz == "Asia/Kolkata" and query.get("model") == "dall-e-3"
    assert query.group_by is None
    assert finding.window == query.window and finding.group is None


def test_metric_per_group_from_records() -> None:
    source = RecordSource()
    source.spend(T0 - 2 * HOUR, T0, 1.0, model="dall-e-3")  # $60 in any hour
    source.spend(T0 - 2 * HOUR, T0, 0.5, model="flux")  # $30
    source.spend(T0 - timedelta(minutes=4), T0, 100.0, model="flux")  # inside the settle delay
    rule = Rule("r", Metric.COST, 50, HOUR, by="model")
    findings = {f.group: f for f in evaluate(rule, source.fetch, T0)}
    assert source.calls[0].group_by == "model"
    assert findings["dall-e-3"].value == pytest.approx(60) and findings["dall-e-3"].breaching
    assert findings["flux"].value == pytest.approx(30) and findings["flux"].recovered
    assert findings["flux"].samples == 60


@pytest.mark.parametrize(
    ("kind", "figures", "value"),
    [
        (Metric.COST, {"cost": 12.5}, 12.5),
        (Metric.ERRORS, {"errors": 7}, 7),
        (Metric.IMAGES, {"images": 1001}, 1001),
        (Metric.WASTED_COST, {"wasted_cost": 3.25}, 3.25),
        (Metric.SHORTFALL, {"shortfall": 4}, 4),
        (Metric.COST_PER_IMAGE, {"cost_per_image": 0.12, "images": 10, "cost": 1.2}, 0.12),
        (Metric.ERROR_RATE, {"errors": 4, "error_rate": 0.1}, 0.1),
    ],
)
def test_each_kind_reads_its_figure(kind: Metric, figures: dict[str, float], value: float) -> None:
    rule = Rule("r", kind, 1.0, HOUR)
    [finding] = evaluate(rule, constant([(None, summary(requests=40, **figures))]), T0)
    assert finding.value == value and not finding.no_data


def test_zero_traffic_is_data_for_sums() -> None:
    rule = Rule("r", Metric.COST, 50, HOUR)
    [finding] = evaluate(rule, RecordSource().fetch, T0)
    assert finding.value == 0 and not finding.no_data and finding.recovered and finding.samples == 0


def test_zero_traffic_is_no_data_for_ratios_and_counts_as_recovered() -> None:
    for kind in (Metric.ERROR_RATE, Metric.COST_PER_IMAGE):
        [finding] = evaluate(Rule("r", kind, 0.1, HOUR), RecordSource().fetch, T0)
        assert finding.no_data and finding.value is None and finding.recovered
        assert finding.reason in ("no requests", "no images")


def test_cost_without_images_is_no_data_but_not_a_recovery() -> None:
    rule = Rule("r", Metric.COST_PER_IMAGE, 0.1, HOUR)
    rows = [(None, summary(requests=5, cost=2.0, images=0, cost_per_image=None))]
    [finding] = evaluate(rule, constant(rows), T0)
    assert finding.no_data and not finding.recovered and not finding.breaching


def test_min_samples_for_error_rate() -> None:
    rule = Rule("r", Metric.ERROR_RATE, 0.05, HOUR, min_samples=20)
    few = summary(requests=19, errors=19, error_rate=1.0)
    [finding] = evaluate(rule, constant([(None, few)]), T0)
    assert finding.no_data and not finding.breaching and not finding.recovered
    assert "19 requests" in finding.reason and "20" in finding.reason
    enough = summary(requests=20, errors=2, error_rate=0.1)
    [finding] = evaluate(rule, constant([(None, enough)]), T0)
    assert finding.breaching and finding.value == 0.1


def test_known_groups_absent_from_the_data_are_zero() -> None:
    rule = Rule("r", Metric.COST, 50, HOUR, by="model")
    findings = evaluate(rule, RecordSource().fetch, T0, known=["dall-e-3"])
    assert [(f.group, f.value, f.samples) for f in findings] == [("dall-e-3", 0.0, 0)]


def test_strict_and_inclusive_operators() -> None:
    at_fifty = constant([(None, summary(cost=50.0))])
    assert not evaluate(Rule("r", Metric.COST, 50, HOUR, op=">"), at_fifty, T0)[0].breaching
    assert evaluate(Rule("r", Metric.COST, 50, HOUR, op=">="), at_fifty, T0)[0].breaching
    assert evaluate(Rule("r", Metric.COST, 60, HOUR, op="<"), at_fifty, T0)[0].breaching
    assert evaluate(Rule("r", Metric.COST, 50, HOUR, op="<="), at_fifty, T0)[0].breaching


def test_duplicate_groups_from_fetch_are_a_bug() -> None:
    rows = [("a", summary()), ("a", summary())]
    with pytest.raises(ValueError, match="twice"):
        evaluate(Rule("r", Metric.COST, 1, HOUR, by="model"), constant(rows), T0)


def change_rule(**baseline: object) -> Rule:
    return Rule("surge", Metric.CHANGE, 50, timedelta(days=1), baseline=Baseline(**baseline))  # type: ignore[arg-type]


def test_change_compares_with_the_same_window_a_week_earlier() -> None:
    source = RecordSource()
    week = timedelta(days=7)
    day_end = T0 - timedelta(minutes=5)
    source.spend(day_end - timedelta(hours=2), day_end, 2.0)  # $240 now
    source.spend(day_end - week - timedelta(hours=2), day_end - week, 1.0)  # $120 a week ago
    [finding] = evaluate(change_rule(), source.fetch, T0)
    current, before = source.calls
    assert before.window is not None and current.window is not None
    assert before.window.start == current.window.start - week
    assert finding.value == pytest.approx(100.0) and finding.breaching
    assert finding.baseline is not None and finding.baseline.cost == pytest.approx(120)


def test_change_can_watch_a_fall() -> None:
    rows = {0: summary(cost=40.0, requests=100), 1: summary(cost=100.0, requests=100)}
    calls: list[Query] = []

    def fetch(query: Query) -> list[tuple[None, object]]:
        calls.append(query)
        return [(None, rows[len(calls) - 1])]

    [finding] = evaluate(change_rule(direction="fall"), fetch, T0)  # type: ignore[arg-type]
    assert finding.value == pytest.approx(60.0) and finding.breaching


def test_change_needs_volume_in_the_baseline() -> None:
    rows = iter([summary(cost=500.0, requests=500), summary(cost=1.0, requests=5)])
    [finding] = evaluate(change_rule(), lambda _q: [(None, next(rows))], T0)
    assert finding.no_data and not finding.breaching and "5 requests" in finding.reason
    rows = iter([summary(cost=500.0, requests=500), summary(cost=0.0, requests=500)])
    [finding] = evaluate(change_rule(), lambda _q: [(None, next(rows))], T0)
    assert finding.no_data  # nothing spent before: no percentage to speak of
