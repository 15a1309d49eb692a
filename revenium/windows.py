"""Time windows — `last 7d`, `yesterday`, `this month`, `from DATE to DATE` — as [start, end).

Pure: every function takes `now` (aware) and a ZoneInfo. Local midnights come from zoneinfo, so
calendar days across DST changes are 23 or 25 hours long. Windows are stored in UTC; their label
and `phrase()` are canonical text that resolves to the same window again (given the same now).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from revenium.query import Window

MAX_SPAN = timedelta(days=400)
DEFAULT_AMOUNT, DEFAULT_UNIT = 24, "hour"

# Spellings of rolling-window units -> canonical unit; `m` is minutes (months have words).
UNITS: dict[str, str] = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minute"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hour"),
    **dict.fromkeys(("d", "day", "days"), "day"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "week"),
}
_SPAN = {
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
}
CALENDAR = ("today", "yesterday", "this week", "this month", "last week", "last month")

_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_ROLLING_LABEL = re.compile(r"last (\d+) (minute|hour|day|week)s?")


class WindowError(ValueError):
    """A window that cannot be resolved; the message says why, in words for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@lru_cache(maxsize=1)
def zone_names() -> dict[str, str]:
    """Lower-cased IANA name -> canonical spelling, for case-insensitive `tz ZONE`."""
    return {name.lower(): name for name in available_timezones()}


def find_zone(name: str) -> str | None:
    return zone_names().get(name.strip().lower())


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant `day` begins in `zone`, in UTC (fold=0: the first midnight, or the gap's end)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_day(when: datetime, zone: ZoneInfo) -> date:
    return when.astimezone(zone).date()


def rolling(amount: int, unit: str, now: datetime, zone: ZoneInfo) -> Window:
    """`last 7d`: the `amount` units of exact length that end now."""
    step = _SPAN[unit]
    if amount < 1:
        raise WindowError("a window must be at least 1 " + unit + " long")
    if amount > MAX_SPAN // step:
        raise WindowError(f"windows can be at most {MAX_SPAN.days} days long")
    label = f"last {amount} {unit}{'' if amount == 1 else 's'}"
    return _window(now - amount * step, now, zone, label)


def default(now: datetime, zone: ZoneInfo) -> Window:
    return rolling(DEFAULT_AMOUNT, DEFAULT_UNIT, now, zone)


def calendar(word: str, now: datetime, zone: ZoneInfo) -> Window:
    """`today`, `yesterday`, `this week` (from Monday), `this month`, `last week`, `last month`.

    Periods that contain now end now: no record can lie in the future.
    """
    day = local_day(now, zone)
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    starts: dict[str, tuple[date, date]] = {
        "today": (day, day + timedelta(days=1)),
        "yesterday": (day - timedelta(days=1), day),
        "this week": (monday, monday + timedelta(days=7)),
        "this month": (first, _next_month(first)),
        "last week": (monday - timedelta(days=7), monday),
        "last month": (_previous_month(first), first),
    }
    begin, stop = starts[word]
    start, end = midnight(begin, zone), midnight(stop, zone)
    if start < now < end:
        end = now
    return _window(start, end, zone, word)


def since(start: datetime, now: datetime, zone: ZoneInfo) -> Window:
    if start >= now:
        raise WindowError("it starts in the future — nothing to show yet")
    return _checked(start, now, now, zone, f"since {stamp(start, zone)}")


def between(start: datetime, end: datetime, now: datetime, zone: ZoneInfo) -> Window:
    """`from A to B`: B is the exclusive end (a date end was already moved to the next midnight)."""
    if end <= start:
        raise WindowError("the end is not after the start")
    if start >= now:
        raise WindowError("it lies entirely in the future — nothing to show yet")
    first, last = stamp(start, zone), stamp(end, zone, end=True)
    label = first if first == last and _is_midnight(start, zone) else f"{first} → {last}"
    return _checked(start, end, now, zone, label)


def parse_point(text: str, zone: ZoneInfo, *, end: bool = False) -> datetime:
    """A DATE (a whole local day: as an end, the next midnight) or an ISO 8601 date-time, in UTC.

    A date-time without an offset is read in `zone`.
    """
    bad = WindowError(
        f"`{text}` is not a date — write YYYY-MM-DD or an ISO 8601 date-time like 2026-11-01T09:00"
    )
    match = _DATE.fullmatch(text)
    try:
        if match:
            day = date(*(int(g) for g in match.groups()))
            return midnight(day + timedelta(days=1) if end else day, zone)
        when = datetime.fromisoformat(text[:-1] + "Z" if text.endswith("z") else text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=zone)
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise bad from None


def stamp(when: datetime, zone: ZoneInfo, *, end: bool = False) -> str:
    """A point for labels: a date at a local midnight (as an end: the day before), else time too."""
    local = when.astimezone(zone)
    if _is_midnight(when, zone):
        return (local.date() - timedelta(days=1) if end else local.date()).isoformat()
    clock = local.strftime("%H:%M")
    if local.second or local.microsecond:
        clock = local.time().isoformat()
    return f"{local.date().isoformat()} {clock}"


def point_text(when: datetime, zone: ZoneInfo, *, end: bool = False) -> str:
    """A point as command text that `parse_point` reads back to the same instant."""
    if _is_midnight(when, zone):
        return stamp(when, zone, end=end)
    return when.astimezone(zone).isoformat()


def phrase(window: Window) -> str:
    """Command text for this window: its label when relative (`last 7 days`), else absolute."""
    if window.label in CALENDAR or _ROLLING_LABEL.fullmatch(window.label):
        return window.label
    zone = ZoneInfo(window.tz)
    if window.label.startswith("since "):
        return f"since {point_text(window.start, zone)}"
    return absolute_phrase(window)


def absolute_phrase(window: Window) -> str:
    """`from A to B`: the same instants whenever it is read again (for "Show records")."""
    zone = ZoneInfo(window.tz)
    first = point_text(window.start, zone)
    return f"from {first} to {point_text(window.end, zone, end=True)}"


def earlier(window: Window, *, days: int = 0, months: int = 0) -> Window:
    """The same window `days` (or calendar `months`) before, on the local wall clock: a week
    before Tuesday 14:00 is Tuesday 14:00, across a DST change too; day 31 is clamped."""
    zone = ZoneInfo(window.tz)

    def back(when: datetime) -> datetime:
        local = when.astimezone(zone)
        if months:
            year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
            last = (_next_month(date(year, month + 1, 1)) - timedelta(days=1)).day
            local = local.replace(year=year, month=month + 1, day=min(local.day, last))
        return (local - timedelta(days=days)).astimezone(UTC)

    start, end = back(window.start), back(window.end)
    return Window(start, max(end, start + timedelta(microseconds=1)), window.tz, "")


def _checked(start: datetime, end: datetime, now: datetime, zone: ZoneInfo, label: str) -> Window:
    if end - start > MAX_SPAN:
        days = (end - start).days
        raise WindowError(f"windows can be at most {MAX_SPAN.days} days long (this one is {days})")
    return _window(start, end, zone, label)


def _window(start: datetime, end: datetime, zone: ZoneInfo, label: str) -> Window:
    return Window(start.astimezone(UTC), end.astimezone(UTC), tz=zone.key, label=label)


def _is_midnight(when: datetime, zone: ZoneInfo) -> bool:
    return when == midnight(local_day(when, zone), zone)


def _next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)
