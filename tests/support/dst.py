"""Local time by brute force for the digest DST tests: wall clocks read minute by minute
(independent of rules/schedule.py), the tick plan that drives the scheduler densely around
every due time, what a channel should see for that plan, and the records the digests read.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.world import record

MINUTE = timedelta(minutes=1)
COARSE = timedelta(minutes=15)  # ticks away from any due time
AROUND = 6  # minutes ticked every minute either side of a due time, midnight or clock change
SAME_MINUTE = (timedelta(0), timedelta(0), timedelta(seconds=30))  # repeated ticks in a minute
MODELS = ("dall-e-3", "gpt-image-1", "flux-pro", "imagen-3", "sdxl", "midjourney-v6", "ideogram")
PROVIDERS = ("openai", "black-forest-labs", "google")
AGENTS = ("thumbnailer", "catalog", "ads", "avatars")
REASONS = ("timeout", "content_policy", "rate_limited")
ENVIRONMENTS = ("production", "staging")


@functools.cache
def first_minute(tz: str, day: date, at: time) -> datetime:
    """The first UTC minute at which the wall clock in `tz` reads `day`, `at` or later
    (a time that happens twice: its first time; one skipped: when the clocks jump)."""
    zone = ZoneInfo(tz)
    when = datetime.combine(day, time(), tzinfo=UTC) - timedelta(hours=15)
    for _ in range(48 * 60):
        local = when.astimezone(zone)
        if local.date() > day or (local.date() == day and local.time() >= at):
            return when
        when += MINUTE
    raise AssertionError(f"no {at} on {day} in {tz}")


def day_start(tz: str, day: date) -> datetime:
    return first_minute(tz, day, time())


def marks(tz: str, times: Iterable[time], start: datetime, end: datetime) -> set[datetime]:
    """The minutes in [start, end] whose wall clock reads one of `times`, or at which the
    zone's offset changes (a skipped time is due then)."""
    zone, wanted, found = ZoneInfo(tz), set(times), set()
    when, offset = start, start.astimezone(zone).utcoffset()
    while when <= end:
        local = when.astimezone(zone)
        if local.time() in wanted or local.utcoffset() != offset:
            found.add(when)
        offset, when = local.utcoffset(), when + MINUTE
    return found


def tick_plan(
    start: datetime,
    end: datetime,
    dense: Iterable[datetime],
    outage: tuple[datetime, datetime] | None,
) -> list[datetime]:
    """Every COARSE step, and every minute (three ticks in it, two at the same instant)
    within AROUND minutes of each `dense` instant; none during the outage, one at its end."""
    ticks = [start + n * COARSE for n in range(int((end - start) / COARSE) + 1)]
    for mark in dense:
        for n in range(-AROUND, AROUND + 1):
            ticks += [mark + n * MINUTE + extra for extra in SAME_MINUTE]
    if outage is not None:
        ticks = [t for t in ticks if not outage[0] <= t < outage[1]] + [outage[1]]
    return sorted(t for t in ticks if start <= t <= end)


@dataclass(frozen=True)
class Post:
    shown: datetime  # the tick after which the channel shows it
    day: date  # the local date it is posted for; it covers the day before
    due: datetime  # when its local time happens (the first time, or when clocks jump)
    late: bool


def expected_posts(
    tz: str,
    at: time,
    created: datetime,
    ticks: Sequence[datetime],
    settle: timedelta,
) -> list[Post]:
    """One post per local date, at the first tick once its time has passed and the day it
    covers has settled; dates that fell due while nothing ticked (an outage) give one post
    between them, for the latest date, late."""
    zone = ZoneInfo(tz)
    first, last = ticks[0].astimezone(zone).date(), ticks[-1].astimezone(zone).date()
    posts: list[Post] = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        due = first_minute(tz, day, at)
        ready = max(due, day_start(tz, day) + settle)
        i = bisect.bisect_left(ticks, ready)
        if due < created or i == len(ticks):
            continue
        post = Post(ticks[i], day, due, late=ticks[i] > ready)
        if posts and posts[-1].shown == post.shown:
            posts.pop()  # an earlier date that fell due in the same gap is never posted
        posts.append(post)
    return posts


def traffic(start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
    """A record every 10 minutes on the minute (local midnights included) over [start, end):
    every record costs something, so a window off by 30 minutes reads different figures;
    days differ from each other. Costs are quarters of a dollar: sums are exact in any order."""
    when, k = start, 0
    while when < end:
        failed = k % 13 == 0
        requested = 1 + k % 2
        yield record(
            when,
            0.25 * (1 + k % 11 + (k // 144) % 5),
            model=MODELS[k % len(MODELS)],
            provider=PROVIDERS[k % len(PROVIDERS)],
            agent=AGENTS[k % len(AGENTS)],
            environment=ENVIRONMENTS[(k // 3) % len(ENVIRONMENTS)],
            errorReason=REASONS[(k // 13) % len(REASONS)] if failed else None,
            requestedImageCount=requested,
            actualImageCount=0 if failed else requested,
            requestDuration=500 + 37 * (k % 50),
        )
        when, k = when + timedelta(minutes=10), k + 1
