"""The summary figures of CONTRACT.md §4, computed from a stream of records.

The API only lists records; every figure is ours. This module is the plain
definition: the mirror's SQL must agree with it, and tests hold both to it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
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
    """Accumulates one group's figures in constant memory but for the durations."""

    def __init__(self) -> None:
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
        if duration is not None:
            self.durations.append(int(duration))

    def summary(self) -> Summary:
        durations = sorted(self.durations)
        return Summary(
            requests=self.requests,
            images=self.images,
            requested_images=self.requested,
            cost=round(self.cost, 6),
            errors=self.errors,
            error_rate=self.errors / self.requests if self.requests else 0.0,
            cost_per_image=round(self.cost / self.images, 6) if self.images else None,
            duration_p50_ms=nearest_rank(durations, 0.50),
            duration_p95_ms=nearest_rank(durations, 0.95),
            wasted_cost=round(self.wasted, 6),
            shortfall=self.shortfall,
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
    rows = [(key, t.summary()) for key, t in tallies.items()]
    rows.sort(key=lambda row: (-row[1].cost, str(row[0])))
    return rows
