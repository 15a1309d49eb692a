"""The month-end forecast: spend so far this month plus the recent daily pace times the days
left. The pace is that of the last 7 days (a whole weekly rhythm; the month so far when it
is younger), named in every answer that shows the figure.
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
        span = "day's" if days == "1" else f"{days} days'"
        return f"month to date + the last {span} pace × days left"


def month_to_date(at: datetime, tz: str) -> Window:
    """The local calendar month of `at`, from its first midnight to `at`."""
    month = W.calendar("this month", at, ZoneInfo(tz))
    return Window(month.start, max(at, month.start + timedelta(seconds=1)), tz, "this month")


def pace_window(month: Window) -> Window:
    """The last 7 days of the month to date (all of it when it is younger)."""
    return Window(max(month.start, month.end - PACE_DAYS * DAY), month.end, month.tz, "pace")


def forecast(month: Window, so_far: float, recent: float) -> Forecast:
    """From the month to date's spend and the spend of its `pace_window`."""
    zone = ZoneInfo(month.tz)
    first = month.start.astimezone(zone).date().replace(day=1)
    end = W.midnight((first + timedelta(days=32)).replace(day=1), zone)
    pace = pace_window(month)
    days = (pace.end - pace.start) / DAY
    left = max(0.0, (end - month.end) / DAY)
    return Forecast(so_far, recent / days if days else 0.0, days, left, month.end, end)
