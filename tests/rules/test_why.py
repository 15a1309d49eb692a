"""`why`'s arithmetic against a plain computation over the records: each value's before, after
and change; within every dimension the changes add up to the total change to the cent; the
volume and price effects add up to each change; new and vanished values are named."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revenium import params as P
from revenium.figures import Summary
from revenium.query import Query, Window
from revenium.records import Record, field, format_time, parse_time
from rules.model import Anomaly, Baseline, Metric, Rule
from rules.why import DIMENSIONS, contribution, explain, versus, window_before
from tests.support.rules import T0, RecordSource, summary

H = timedelta(hours=1)
NOW = Window(T0 - 2 * H, T0, "UTC", "last 2 hours")
BEFORE = window_before(NOW)
MODELS = ("dall-e-3", "gpt-image-1", "flux-pro", None)
AGENTS = ("thumbnailer", "catalog-bot")


def rows_over(source: RecordSource) -> Any:
    return lambda q, by: source.fetch(replace(q, group_by=by))


def plain(records: list[Record], window: Window, path: str) -> dict[Any, float]:
    """Spend per value of a record field in the window, summed in the plainest way."""
    out: dict[Any, float] = defaultdict(float)
    for r in records:
        if window.contains(parse_time(r["requestTime"])):
            out[field(r, path)] += r.get("totalCost") or 0.0
    return out


record = st.fixed_dictionaries(
    {
        "minute": st.integers(0, 239),
        "cost": st.sampled_from([0.0, 0.016, 0.04, 0.08, 0.12, 0.36]),
        "images": st.integers(0, 4),
        "model": st.sampled_from(MODELS),
        "agent": st.sampled_from(AGENTS),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(record, max_size=120))
def test_contributions_equal_a_plain_computation_and_add_up(drawn: list[dict[str, Any]]) -> None:
    source = RecordSource()
    for r in drawn:
        when = NOW.start - 2 * H + timedelta(minutes=r["minute"], seconds=30)
        source.records.append(
            {
                "requestTime": format_time(when),
                "totalCost": r["cost"],
                "actualImageCount": r["images"],
                "model": r["model"],
                "agent": r["agent"],
            }
        )
    change = explain(rows_over(source), Query(window=NOW), BEFORE, ("model", "agent"))
    total_before = sum(plain(source.records, BEFORE, "model").values())
    total_after = sum(plain(source.records, NOW, "model").values())
    assert change.delta == pytest.approx(total_after - total_before, abs=1e-6)
    for dim in ("model", "agent"):
        before, after = plain(source.records, BEFORE, dim), plain(source.records, NOW, dim)
        parts = {p.value: p for p in change.contributions if p.dimension == dim}
        for value in before.keys() | after.keys():
            delta = after.get(value, 0.0) - before.get(value, 0.0)
            if round(delta, 6) == 0:
                assert value not in parts  # nothing moved: nothing to explain
                continue
            part = parts[value]
            assert part.before == pytest.approx(before.get(value, 0.0), abs=1e-6)
            assert part.after == pytest.approx(after.get(value, 0.0), abs=1e-6)
            assert part.delta == pytest.approx(delta, abs=1e-6)
        # Exactly, to the micro-dollar (decimal sums: floats would blur a half cent).
        assert sum(Decimal(str(p.delta)) for p in parts.values()) == Decimal(str(change.delta))
    for part in change.contributions:
        assert part.volume + part.price == pytest.approx(part.delta, abs=2e-6)
    ranked = [abs(p.delta) for p in change.contributions]
    assert ranked == sorted(ranked, reverse=True)


def test_volume_and_price_split_as_shapley_does() -> None:
    # 100 images at $0.04 → 150 images at $0.05: +$3.50 = volume 50 × $0.045 + price $0.01 × 125
    part = contribution(
        "model",
        "m",
        summary(cost=4.0, images=100, requests=100),
        summary(cost=7.5, images=150, requests=150),
    )
    assert (part.delta, part.volume, part.price, part.status) == (3.5, 2.25, 1.25, "changed")
    new = contribution("model", "m", summary(), summary(cost=2.0, images=10, requests=10))
    gone = contribution("model", "m", summary(cost=2.0, images=10, requests=10), summary())
    assert (new.status, new.volume, new.price) == ("new", 2.0, 0.0)
    assert (gone.status, gone.volume, gone.delta) == ("vanished", -2.0, -2.0)


def test_a_dimension_the_query_pins_is_left_out_and_shares_are_of_the_total() -> None:
    source = RecordSource()
    source.spend(BEFORE.start, BEFORE.end, 0.5, model="dall-e-3", agent="a")  # $60 before
    source.spend(NOW.start, NOW.end, 0.5, model="dall-e-3", agent="a")
    source.spend(NOW.start, NOW.start + H, 1.0, model="gpt-image-1", agent="b")  # +$60, new
    change = explain(rows_over(source), Query(window=NOW), BEFORE, DIMENSIONS)
    [first, *_] = change.contributions
    assert change.delta == 60.0 and change.share(first) == 1.0 and first.status == "new"
    named = {(p.dimension, p.value) for p in change.contributions if p.value is not None}
    assert named == {("model", "gpt-image-1"), ("agent", "b")}  # other fields: all "(none)"
    # The biggest movers, less those another dimension already explains the same way.
    top = [(p.dimension, p.value) for p in change.top()]
    assert top[0] == ("model", "gpt-image-1") and ("agent", "b") not in top
    pinned = Query(filters=(("model", "gpt-image-1"),), window=NOW)
    found = explain(rows_over(source), pinned, BEFORE, DIMENSIONS)
    assert found.delta == 60.0 and P.param("model").name not in {
        p.dimension for p in found.contributions
    }


def test_what_an_alert_is_compared_with() -> None:
    window = Window(T0 - H, T0, "Europe/Berlin", "last 1h")
    plain_rule = Rule("r", Metric.COST, 5, H)
    odd = Rule("o", Metric.ANOMALY, 3, H, anomaly=Anomaly())
    change = Rule("c", Metric.CHANGE, 50, H, baseline=Baseline(shift=timedelta(days=1)))
    assert versus(plain_rule, window).start == T0 - 2 * H
    assert versus(odd, window).start == T0 - H - timedelta(days=7)
    assert versus(change, window).end == T0 - timedelta(days=1)


def test_an_empty_change_is_nothing_to_explain() -> None:
    change = explain(rows_over(RecordSource()), Query(window=NOW), BEFORE)
    assert change.delta == 0 and change.contributions == () and change.share is not None
    assert isinstance(change.before, Summary) and change.top() == ()


def test_drivers_are_the_values_that_moved_out_of_proportion() -> None:
    source = RecordSource()
    for window, big, small in ((BEFORE, 1.0, 0.05), (NOW, 1.1, 0.15)):
        source.spend(window.start, window.end, big, agent="bulk", model="dall-e-3")
        source.spend(window.start, window.end, small, agent="niche", model="flux-pro")
    change = explain(rows_over(source), Query(window=NOW), BEFORE, ("agent",))
    # bulk: $120 → $132 (+$12, in step with the total); niche: $6 → $18 (tripled).
    assert [p.value for p in change.top()] == ["bulk", "niche"]
    assert [p.value for p in change.drivers()] == ["niche", "bulk"]
