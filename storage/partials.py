"""Partial figures that add up: sums from SQL and rollups, durations as sorted runs.

A `Partial` becomes a `revenium.figures.Summary` through `figures.Tally`, so the
derived figures (rates, rounding) have one definition; the nearest-rank
percentiles are picked from the sorted runs without merging them.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from revenium.figures import Summary, Tally

Run = Sequence[int]  # ascending durations
_MERGE_FACTOR = 64  # below this many values per run, merging is cheaper than bisecting


@dataclass
class Partial:
    requests: int = 0
    images: int = 0
    requested: int = 0
    cost: float = 0.0
    errors: int = 0
    wasted: float = 0.0
    shortfall: int = 0
    runs: list[Run] = field(default_factory=list)

    def add(self, sums: Sequence[float | int | None]) -> None:
        """Add (requests, images, requested, cost, errors, wasted, shortfall) of some rows."""
        requests, images, requested, cost, errors, wasted, shortfall = sums
        self.requests += int(requests or 0)
        self.images += int(images or 0)
        self.requested += int(requested or 0)
        self.cost += float(cost or 0.0)
        self.errors += int(errors or 0)
        self.wasted += float(wasted or 0.0)
        self.shortfall += int(shortfall or 0)

    def summary(self) -> Summary:
        tally = Tally()
        tally.requests, tally.images, tally.requested = self.requests, self.images, self.requested
        tally.cost, tally.errors, tally.wasted = self.cost, self.errors, self.wasted
        tally.shortfall = self.shortfall
        return replace(
            tally.summary(),
            duration_p50_ms=percentile(self.runs, 0.50),
            duration_p95_ms=percentile(self.runs, 0.95),
        )


def percentile(runs: Sequence[Run], p: float) -> int | None:
    """Nearest-rank percentile (rank ceil(p * n), as figures.nearest_rank) over sorted runs."""
    runs = [r for r in runs if len(r)]
    n = sum(len(r) for r in runs)
    if n == 0:
        return None
    return kth(runs, max(1, math.ceil(p * n)))


def kth(runs: Sequence[Run], k: int) -> int:
    """The k-th smallest value (1-based) of the union of ascending runs."""
    if len(runs) == 1:
        return int(runs[0][k - 1])
    n = sum(len(r) for r in runs)
    if n < _MERGE_FACTOR * len(runs):
        merged = array("q")
        for run in runs:
            merged.extend(run)
        return sorted(merged)[k - 1]
    # Bisect on the value: the answer is the least v with at least k values <= v.
    low, high = min(r[0] for r in runs), max(r[-1] for r in runs)
    while low < high:
        middle = (low + high) // 2
        if sum(bisect_right(r, middle) for r in runs) >= k:
            high = middle
        else:
            low = middle + 1
    return int(low)


def pack(durations: list[int]) -> bytes:
    """Durations as a sorted run, stored in a rollup row."""
    return array("q", sorted(durations)).tobytes()


def unpack(blob: bytes) -> array[int]:
    run = array("q")
    run.frombytes(blob)
    return run
