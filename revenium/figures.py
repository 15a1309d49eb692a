"""The summary figures of CONTRACT.md §4, computed from a stream of records.

The API only lists records; every figure is ours. This module is the plain
definition: the mirror's SQL must agree with it, and tests hold both to it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from revenium.records import Record, field


@dataclass(frozen=True)
class Summary:
    requests: int
    images: int
    requested_images: int
    cost: float
    errors: int
    error_rate: float
    cost_per_image: float | None
    duration_p50_ms: int | None
    duration_p95_ms: int | None
    wasted_cost: float  # cost of errored requests
    shortfall: int  # requested - actual images, where actual fell short

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def nearest_rank(sorted_values: list[int] | array[int], p: float) -> int | None:
    """The value at rank ceil(p * n) of ascending values (nearest-rank percentile)."""
    n = len(sorted_values)
    if n == 0:
        return None
    return int(sorted_values[max(1, math.ceil(p * n)) - 1])


class Tally:
    """Accumulates one group's figures in constant memory but for the durations (kept only
    when `durations`: a backtest's buckets need the sums alone)."""

    def __init__(self, *, durations: bool = True) -> None:
        self.keep_durations = durations
        self.requests = 0
        self.images = 0
        self.requested = 0
        self.cost = 0.0
        self.errors = 0
        self.wasted = 0.0
        self.shortfall = 0
        self.durations: array[int] = array("q")

    def add(self, record: Record) -> None:
        cost = float(record.get("totalCost") or 0)
        actual = int(record.get("actualImageCount") or 0)
        requested = int(record.get("requestedImageCount") or 0)
        self.requests += 1
        self.images += actual
        self.requested += requested
        self.cost += cost
        self.shortfall += max(0, requested - actual)
        if record.get("errorReason"):
            self.errors += 1
            self.wasted += cost
        duration = record.get("requestDuration")
        if duration is not None and self.keep_durations:
            self.durations.append(int(duration))

    def sums(self) -> Sums:
        """The additive figures, in `summary_of`'s order."""
        return (
            self.requests,
            self.images,
            self.requested,
            self.cost,
            self.errors,
            self.wasted,
            self.shortfall,
        )

    def summary(self) -> Summary:
        durations = sorted(self.durations)
        return summary_of(self.sums(), durations)


Sums = tuple[int, int, int, float, int, float, int]  # requests … shortfall, as Tally.sums


def summary_of(sums: Sequence[float], durations: list[int] | None = None) -> Summary:
    """The figures of some records from their sums (Tally.sums' order) and, when known, their
    sorted durations: the one place rates and rounding are defined."""
    requests, images, requested, cost, errors, wasted, shortfall = sums
    requests, images, errors = int(requests), int(images), int(errors)
    p50 = p95 = None
    if durations is not None:
        p50, p95 = nearest_rank(durations, 0.50), nearest_rank(durations, 0.95)
    return Summary(  # positional, in field order: backtests build one per group and window
        requests,
        images,
        int(requested),
        round(cost, 6),
        errors,
        errors / requests if requests else 0.0,
        round(cost / images, 6) if images else None,
        p50,
        p95,
        round(wasted, 6),
        int(shortfall),
    )


def summarize(records: Iterable[Record]) -> Summary:
    tally = Tally()
    for record in records:
        tally.add(record)
    return tally.summary()


def group(records: Iterable[Record], path: str) -> list[tuple[Any, Summary]]:
    """Figures per distinct value of a record field, highest cost first."""
    tallies: dict[Any, Tally] = {}
    for record in records:
        key = field(record, path)
        tallies.setdefault(key, Tally()).add(record)
    return ranked([(key, t.summary()) for key, t in tallies.items()])


def ranked(rows: Iterable[tuple[Any, Summary]]) -> list[tuple[Any, Summary]]:
    """Grouped figures as every source orders them: highest cost first, then by value."""
    return sorted(rows, key=lambda row: (-row[1].cost, str(row[0])))
