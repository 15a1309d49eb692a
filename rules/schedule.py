"""When rules and digests run: interval or cron slots in an IANA zone, and digest slots.

Rules run on a grid (every 5 min from local midnight, or a cron expression via
croniter); after downtime they run once, at the latest slot, never once per missed
slot. Digests are keyed by LOCAL DATE, not by cron tick: croniter fires a daily
`30 1 * * *` twice on a fall-back day, a digest posts once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

from rules.model import Every

DIGEST_LATE_AFTER = timedelta(minutes=30)  # posted later than this after its time: "late"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TINY = timedelta(microseconds=1)


def next_run(every: Every, tz: str, after: datetime) -> datetime:
    """The first slot strictly after `after`, in UTC."""
    if isinstance(every, str):
        local = after.astimezone(ZoneInfo(tz))
        return croniter(every, local).get_next(datetime).astimezone(UTC)
    return latest_slot(every, tz, after) + every


def latest_slot(every: Every, tz: str, now: datetime) -> datetime:
    """The last slot at or before `now`, in UTC.

    Interval slots are aligned to the zone's wall clock as it reads at `now`, so
    `every 1h` runs on the local hour even in Asia/Kolkata (UTC+05:30).
    """
    if isinstance(every, str):
        local = (now + _TINY).astimezone(ZoneInfo(tz))
        return croniter(every, local).get_prev(datetime).astimezone(UTC)
    offset = now.astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
    return (now - (now + offset - _EPOCH) % every).astimezone(UTC)


def catch_up(
    position: datetime | None, every: Every, now: datetime, tz: str = "UTC"
) -> datetime | None:
    """The one time to evaluate at now, or None; `position` is the last slot evaluated.

    After downtime this is the latest slot only: missed slots are never replayed.
    """
    slot = latest_slot(every, tz, now)
    if position is not None and slot <= position:
        return None
    return slot


def slots(every: Every, tz: str, start: datetime, end: datetime, max_steps: int) -> list[datetime]:
    """Every slot in [start, end), as a backtest replays them; more than `max_steps` is a
    mistake, not a backtest."""
    at = catch_up(None, every, start, tz)
    assert at is not None
    if at < start:
        at = next_run(every, tz, at)
    out: list[datetime] = []
    while at < end:
        if len(out) == max_steps:
            raise ValueError(
                f"a backtest is limited to {max_steps} evaluations: shorten the period"
            )
        out.append(at)
        at = next_run(every, tz, at)
    return out


def due(position: datetime | None, every: Every, now: datetime, tz: str = "UTC") -> bool:
    return catch_up(position, every, now, tz) is not None


def check_cron(expression: str) -> str:
    if not croniter.is_valid(expression):
        raise ValueError(f"{expression!r} is not a cron expression (minute hour day month weekday)")
    return expression


def local_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant a local wall time happens on `day`.

    Fall-back (the time happens twice): its first occurrence. Spring-forward (the
    time does not exist): the first instant after the gap, i.e. when clocks jump,
    as cron does — 02:30 on 2026-03-08 in New York is 03:00 EDT.
    """
    zone = ZoneInfo(tz)
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return first.astimezone(UTC)
    # In a gap, fold=1 reads the wall time with the offset after the jump (an
    # instant before the jump) and fold=0 with the one before (an instant after):
    # bisect between them, in whole seconds, for the jump itself.
    before = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    after = int(first.timestamp())
    jumped = first.astimezone(UTC).astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == jumped:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


@dataclass(frozen=True)
class DigestSlot:
    """One digest to post: for `local_date`, due at `at` (UTC); `late` after an outage."""

    local_date: date
    at: datetime
    late: bool

    def key(self, channel: str) -> tuple[str, str]:
        """The outbox key: one digest per channel and local date."""
        return channel, self.local_date.isoformat()


def digest_due(
    local_time: time,
    tz: str,
    now: datetime,
    last_local_date_posted: date | None,
    created_at: datetime,
    *,
    weekday: int | None = None,
    late_after: timedelta = DIGEST_LATE_AFTER,
    post_at: Callable[[date, datetime], datetime] = lambda day, at: at,
) -> DigestSlot | None:
    """The digest to post now, if any: the most recent local date whose digest may post.

    `post_at(day, at)` says when the digest of a local date, due at `at`, may post (after
    the day it covers settled). At most one per local date, however often this is called;
    after an outage of several days only the most recent date is posted (late); a digest
    created after a date's time starts on the next one. `weekday` (0 = Monday) makes it
    weekly.
    """
    today = now.astimezone(ZoneInfo(tz)).date()
    for back in range(8):
        day = today - timedelta(days=back)
        if weekday is not None and day.weekday() != weekday:
            continue
        at = local_instant(day, local_time, tz)
        if post_at(day, at) <= now:
            break
    else:
        return None
    if last_local_date_posted is not None and day <= last_local_date_posted:
        return None
    if at < created_at:
        return None
    return DigestSlot(day, at, late=now - at > late_after)
