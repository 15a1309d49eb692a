"""Figures as CONTRACT.md §4 defines them, on hand-made records."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from revenium.figures import group, nearest_rank, summarize


def rec(
    cost: float,
    actual: int,
    requested: int,
    duration: int | None,
    error: str | None = None,
    model: str = "m",
) -> dict[str, object]:
    return {
        "totalCost": cost,
        "actualImageCount": actual,
        "requestedImageCount": requested,
        "requestDuration": duration,
        "errorReason": error,
        "model": model,
    }


def test_summary_of_three_records() -> None:
    s = summarize(
        [
            rec(0.08, 2, 2, 3000),
            rec(0.04, 0, 1, 9000, "timeout"),
            rec(0.12, 1, 1, 6000),
        ]
    )
    assert (s.requests, s.images, s.requested_images, s.errors) == (3, 3, 4, 1)
    assert math.isclose(s.cost, 0.24)
    assert math.isclose(s.error_rate, 1 / 3)
    assert math.isclose(s.cost_per_image or 0, 0.08)
    assert (s.duration_p50_ms, s.duration_p95_ms) == (6000, 9000)
    assert math.isclose(s.wasted_cost, 0.04)
    assert s.shortfall == 1


def test_empty_window_has_zero_rate_and_no_cost_per_image() -> None:
    s = summarize([])
    assert (s.requests, s.error_rate, s.cost_per_image, s.duration_p50_ms) == (0, 0.0, None, None)


def test_null_fields_count_as_zero_and_null_durations_are_left_out() -> None:
    s = summarize(
        [
            {"totalCost": None, "actualImageCount": None, "requestDuration": None},
            rec(0.1, 1, 1, 500),
        ]
    )
    assert (s.requests, s.images, s.duration_p50_ms, s.duration_p95_ms) == (2, 1, 500, 500)


@given(st.lists(st.integers(0, 300_000), min_size=1, max_size=200), st.sampled_from([0.5, 0.95]))
def test_nearest_rank_is_the_value_at_rank_ceil_pn(values: list[int], p: float) -> None:
    ordered = sorted(values)
    value = nearest_rank(ordered, p)
    rank = math.ceil(p * len(values))
    assert value == ordered[rank - 1]
    # nearest-rank: at least p of the values are <= it, and fewer than p are < it
    assert sum(v <= value for v in values) >= p * len(values)
    assert sum(v < value for v in values) < p * len(values)


def test_group_orders_by_cost_then_value() -> None:
    rows = group(
        [
            rec(1, 1, 1, 1, model="b"),
            rec(3, 1, 1, 1, model="a"),
            rec(1, 1, 1, 1, model="a"),
            rec(1, 1, 1, 1, model="c"),
        ],
        "model",
    )
    assert [(v, s.cost, s.requests) for v, s in rows] == [("a", 4, 2), ("b", 1, 1), ("c", 1, 1)]
