"""What is normal for a window: the same window of the week in past weeks, summed up robustly.

The expected value is the median of those weeks and the band's width a multiple of
their median absolute deviation (scaled to a standard deviation), so one past spike
moves neither. Weeks without a single request say nothing (the team was not there
yet, or a holiday) and are left out; with fewer than three left there is no band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from revenium import windows as W
from revenium.query import Window

MIN_WEEKS = 3  # weeks with traffic needed before anything is called unusual
MAD_TO_SIGMA = 1.4826  # a normal distribution's standard deviation per median absolute deviation
MIN_SPREAD = 1 / 3  # of the median: weeks that happen to agree closely make no tight band


@dataclass(frozen=True)
class Band:
    """Expected `median`, unusual above `high` (and below `low`), from `weeks` past weeks."""

    low: float
    median: float
    high: float
    weeks: int

    def recovery(self, ratio: float) -> float:
        """Where an alert resolves: `ratio` of the way from the median to the top of the band."""
        return self.median + ratio * (self.high - self.median)


def band(samples: Sequence[float], sensitivity: float) -> Band | None:
    """The band `sensitivity` robust deviations either side of the samples' median."""
    if len(samples) < MIN_WEEKS:
        return None
    mid = median(samples)
    spread = max(MAD_TO_SIGMA * median(abs(x - mid) for x in samples), MIN_SPREAD * mid)
    return Band(max(0.0, mid - sensitivity * spread), mid, mid + sensitivity * spread, len(samples))


def past_weeks(window: Window, weeks: int) -> list[Window]:
    """The same window 1, 2, … `weeks` weeks before, on the rule's local wall clock."""
    return [W.earlier(window, days=7 * n) for n in range(1, weeks + 1)]
