"""When synthetic requests happen: a daily and weekly rhythm, and fast timestamp text.

Times are integer milliseconds since the epoch until they are written, as the
API writes them (`YYYY-MM-DDTHH:MM:SS.mmmZ`), by table lookups.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

HOUR_MS = 3_600_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def to_ms(when: datetime, *, ceil: bool = False) -> int:
    """An aware datetime as epoch milliseconds, rounded down (or up)."""
    delta = when - _EPOCH
    return -(-delta // _MS) if ceil else delta // _MS


def rhythm(hour_start_ms: int) -> float:
    """Relative traffic of one UTC hour: a business-day peak, an APAC bump, quiet weekends."""
    when = datetime.fromtimestamp(hour_start_ms / 1000, UTC)
    h = when.hour
    daily = 0.15 + math.exp(-(((h - 15) / 4.0) ** 2)) + 0.3 * math.exp(-(((h - 3) / 2.5) ** 2))
    return daily * (0.5 if when.weekday() >= 5 else 1.0)


def draw(rng: random.Random, n: int, start_ms: int, end_ms: int) -> list[int]:
    """n sorted times in [start_ms, end_ms), following the rhythm and a day-to-day swing."""
    los, spans, cum = [], [], []
    acc = 0.0
    swing: dict[int, float] = {}
    for hour in range(start_ms - start_ms % HOUR_MS, end_ms, HOUR_MS):
        lo, hi = max(hour, start_ms), min(hour + HOUR_MS, end_ms)
        day = hour // (24 * HOUR_MS)
        if day not in swing:
            swing[day] = rng.uniform(0.8, 1.2)
        acc += (hi - lo) / HOUR_MS * rhythm(hour) * swing[day]
        los.append(lo)
        spans.append(hi - lo)
        cum.append(acc)
    rand = rng.random
    picks = rng.choices(range(len(los)), cum_weights=cum, k=n)
    times = [los[b] + int(rand() * spans[b]) for b in picks]
    times.sort()
    return times


class Clockface:
    """Epoch milliseconds in [first_ms, last_ms + 2 h) -> the API's timestamp text."""

    def __init__(self, first_ms: int, last_ms: int) -> None:
        self.base = first_ms - first_ms % HOUR_MS
        hours = range(self.base, last_ms + 2 * HOUR_MS, HOUR_MS)
        self.hours = [datetime.fromtimestamp(h / 1000, UTC).strftime("%Y-%m-%dT%H:") for h in hours]
        self.secs = [f"{s // 60:02d}:{s % 60:02d}." for s in range(3600)]
        self.millis = [f"{m:03d}Z" for m in range(1000)]

    def __call__(self, ms: int) -> str:
        hour, rest = divmod(ms - self.base, HOUR_MS)
        sec, milli = divmod(rest, 1000)
        return self.hours[hour] + self.secs[sec] + self.millis[milli]
