"""The month-end forecast: spend so far this month plus the recent daily pace times the days
left. The pace is that of the last 7 days (a whole weekly rhythm; fewer early in the
month), named in every answer that shows the figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from revenium import windows as W
from revenium.query import Window

PACE_DAYS = 7
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Forecast:
    so_far: float  # spent this month up to `at`
    pace: float  # dollars a day, over `pace_days`
    pace_days: float
    days_left: float
    at: datetime
    end: datetime  # when the month ends

    @property
    def value(self) -> float:
        return round(self.so_far + self.pace * self.days_left, 6)

    @property
    def method(self) -> str:
        """The method in words: `month to date + the last 7 days' pace × days left`."""
        days = f"{self.pace_days:.0f}" if self.pace_days >= 1 else f"{self.pace_days:.1f}"
        return f"month to date + the last {days} days' pace × days left"


def windows(at: datetime, tz: str) -> tuple[Window, Window]:
    """The month to date at `at` (local calendar month of `tz`) and the pace window: the last
    7 days, or the month so far when it is younger."""
    month = W.calendar("this month", at, ZoneInfo(tz))
    start = max(month.start, at - PACE_DAYS * DAY)
    end = max(at, month.start + timedelta(microseconds=1))
    return Window(month.start, end, tz, "this month"), Window(start, end, tz, "pace")


def forecast(month: Window, pace: Window, so_far: float, recent: float) -> Forecast:
    """From the month to date's spend and the pace window's spend."""
    end = _month_end(month.start, month.tz)
    days = (pace.end - pace.start) / DAY
    left = max(0.0, (end - month.end) / DAY)
    return Forecast(so_far, recent / days if days else 0.0, days, left, month.end, end)


def _month_end(start: datetime, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date().replace(day=1)
    return W.midnight((first + timedelta(days=32)).replace(day=1), zone)
