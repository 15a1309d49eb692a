"""What counts as new: a value of a dimension with spend now and no request in the 30 days
before the rule's window.

The 30 days are asked as pieces aligned to whole days and hours, plus the part of an
hour before the window: pieces that stay the same from one evaluation to the next are
answered once (per pass live, once per backtest from history), and aligned pieces are
what the mirror's hourly rollups answer fastest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from revenium.query import Window
from rules.model import NOVELTY_LOOKBACK

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def lookback(window: Window) -> list[Window]:
    """From 30 days before the start of the window's (UTC) day to the window's start, in
    pieces: those 30 days, the day so far to the hour, the hour so far."""
    start = window.start
    day = _floor(start, DAY)
    hour = _floor(start, HOUR)
    bounds = [day - NOVELTY_LOOKBACK, day, hour, start]
    return [Window(lo, hi, window.tz, "") for lo, hi in pairwise(bounds) if lo < hi]


def _floor(when: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return when - (when - epoch) % step
