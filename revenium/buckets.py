"""Local calendar buckets (hours, days) over a window, correct across DST.

A bucket starts at a local hour or local midnight in the asked zone; a local day
may last 23 or 25 hours. Bucket starts are returned as aware UTC datetimes.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from revenium.query import Window

Bucket = Literal["hour", "day"]


def floor_local(when: datetime, bucket: Bucket, tz: ZoneInfo) -> datetime:
    local = when.astimezone(tz)
    if bucket == "hour":
        floored = local.replace(minute=0, second=0, microsecond=0)
    else:
        floored = datetime(local.year, local.month, local.day, tzinfo=tz)
    return floored.astimezone(UTC)


def next_start(start: datetime, bucket: Bucket, tz: ZoneInfo) -> datetime:
    if bucket == "hour":
        return start + timedelta(hours=1)  # absolute hours: a repeated local 01:00 is two buckets
    local = start.astimezone(tz)
    day = local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def bucket_starts(window: Window, bucket: Bucket, tz: ZoneInfo) -> list[datetime]:
    """Starts of every bucket that overlaps the window, first one floored to the bucket."""
    starts = []
    cursor = floor_local(window.start, bucket, tz)
    while cursor < window.end:
        starts.append(cursor)
        cursor = next_start(cursor, bucket, tz)
    return starts


def index_of(when: datetime, starts: list[datetime]) -> int:
    """The bucket holding `when` (which must not precede starts[0])."""
    return bisect_right(starts, when) - 1
