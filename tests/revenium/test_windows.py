"""revenium/windows.py: every window form at a fixed now, in zones with and without DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from revenium import windows as W

NY = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)  # a Wednesday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type, misc]


@pytest.mark.parametrize(
    ("amount", "unit", "span", "label"),
    [
        (15, "minute", timedelta(minutes=15), "last 15 minutes"),
        (6, "hour", timedelta(hours=6), "last 6 hours"),
        (7, "day", timedelta(days=7), "last 7 days"),
        (4, "week", timedelta(weeks=4), "last 4 weeks"),
        (1, "hour", timedelta(hours=1), "last 1 hour"),
    ],
)
def test_rolling_windows_end_now(amount: int, unit: str, span: timedelta, label: str) -> None:
    window = W.rolling(amount, unit, NOW, NY)
    assert (window.start, window.end) == (NOW - span, NOW)
    assert window.label == label
    assert window.tz == "America/New_York"


def test_rolling_bounds() -> None:
    with pytest.raises(W.WindowError, match="at least 1"):
        W.rolling(0, "day", NOW, NY)
    with pytest.raises(W.WindowError, match="400 days"):
        W.rolling(401, "day", NOW, NY)
    with pytest.raises(W.WindowError, match="400 days"):
        W.rolling(10**30, "week", NOW, NY)
    assert W.rolling(400, "day", NOW, NY).end - W.rolling(400, "day", NOW, NY).start == W.MAX_SPAN


def test_default_is_last_24_hours() -> None:
    window = W.default(NOW, ZoneInfo("UTC"))
    assert (window.start, window.end, window.label) == (
        NOW - timedelta(hours=24),
        NOW,
        "last 24 hours",
    )


def test_yesterday_on_fall_back_day_is_25_hours() -> None:
    now = utc(2026, 11, 2, 15)  # 10:00 EST on Monday Nov 2; Nov 1 had 25 hours
    window = W.calendar("yesterday", now, NY)
    assert window.start == utc(2026, 11, 1, 4)  # 00:00 EDT
    assert window.end == utc(2026, 11, 2, 5)  # 00:00 EST
    assert window.end - window.start == timedelta(hours=25)


def test_yesterday_on_spring_forward_day_is_23_hours() -> None:
    now = utc(2026, 3, 9, 15)
    window = W.calendar("yesterday", now, NY)
    assert (window.start, window.end) == (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
    assert window.end - window.start == timedelta(hours=23)


def test_today_ends_now_and_starts_at_local_midnight() -> None:
    window = W.calendar("today", NOW, KOLKATA)  # 20:00 IST
    assert window.start == utc(2026, 11, 24, 18, 30)
    assert window.end == NOW
    assert window.label == "today"


def test_today_at_exactly_midnight_is_the_whole_day() -> None:
    midnight = utc(2026, 11, 25, 5)  # 00:00 EST
    window = W.calendar("today", midnight, NY)
    assert (window.start, window.end) == (midnight, utc(2026, 11, 26, 5))


def test_this_week_starts_monday_local() -> None:
    window = W.calendar("this week", NOW, NY)
    assert window.start == utc(2026, 11, 23, 5)  # Monday 00:00 EST
    assert window.end == NOW


def test_this_week_across_fall_back() -> None:
    now = utc(2026, 11, 4, 12)  # Wednesday; Monday Nov 2 is after the change
    assert W.calendar("this week", now, NY).start == utc(2026, 11, 2, 5)
    last = W.calendar("last week", now, NY)  # Mon Oct 26 EDT .. Mon Nov 2 EST
    assert (last.start, last.end) == (utc(2026, 10, 26, 4), utc(2026, 11, 2, 5))
    assert last.end - last.start == timedelta(days=7, hours=1)


def test_this_month_and_last_month() -> None:
    this = W.calendar("this month", NOW, KOLKATA)
    assert (this.start, this.end) == (utc(2026, 10, 31, 18, 30), NOW)
    last = W.calendar("last month", NOW, NY)
    assert (last.start, last.end) == (utc(2026, 10, 1, 4), utc(2026, 11, 1, 4))
    january = W.calendar("last month", utc(2026, 1, 15), ZoneInfo("UTC"))
    assert (january.start, january.end) == (utc(2025, 12, 1), utc(2026, 1, 1))


def test_parse_point_dates_and_date_times() -> None:
    assert W.parse_point("2026-11-01", NY) == utc(2026, 11, 1, 4)
    assert W.parse_point("2026-11-01", NY, end=True) == utc(2026, 11, 2, 5)
    assert W.parse_point("2026/11/1", KOLKATA) == utc(2026, 10, 31, 18, 30)
    assert W.parse_point("2026-11-01T10:00", KOLKATA) == utc(2026, 11, 1, 4, 30)
    assert W.parse_point("2026-11-01T10:00:00Z", KOLKATA) == utc(2026, 11, 1, 10)
    assert W.parse_point("2026-11-01t10:00z", KOLKATA) == utc(2026, 11, 1, 10)
    assert W.parse_point("2026-11-01T10:00:00+01:00", NY) == utc(2026, 11, 1, 9)
    for bad in ("2026-13-01", "2026-02-30", "yesterdayish", "2026-11-01T25:00", ""):
        with pytest.raises(W.WindowError, match="not a date"):
            W.parse_point(bad, NY)


def test_between_includes_end_date_and_labels_it() -> None:
    start = W.parse_point("2026-11-01", NY)
    end = W.parse_point("2026-11-03", NY, end=True)
    window = W.between(start, end, NOW, NY)
    assert window.label == "2026-11-01 → 2026-11-03"
    assert window.end - window.start == timedelta(days=3, hours=1)  # across fall-back
    one_day = W.between(start, W.parse_point("2026-11-01", NY, end=True), NOW, NY)
    assert one_day.label == "2026-11-01"


def test_between_with_times_labels_local_times() -> None:
    start = W.parse_point("2026-11-20T09:30", KOLKATA)
    end = W.parse_point("2026-11-20T18:00:30", KOLKATA)
    assert W.between(start, end, NOW, KOLKATA).label == "2026-11-20 09:30 → 2026-11-20 18:00:30"


def test_between_errors() -> None:
    a, b = utc(2026, 11, 5), utc(2026, 11, 1)
    with pytest.raises(W.WindowError, match="not after the start"):
        W.between(a, b, NOW, NY)
    with pytest.raises(W.WindowError, match="future"):
        W.between(NOW + timedelta(days=1), NOW + timedelta(days=2), NOW, NY)
    with pytest.raises(W.WindowError, match="at most 400 days"):
        W.between(utc(2024, 1, 1), utc(2026, 1, 1), NOW, NY)


def test_since() -> None:
    window = W.since(W.parse_point("2026-11-20", NY), NOW, NY)
    assert (window.start, window.end, window.label) == (
        utc(2026, 11, 20, 5),
        NOW,
        "since 2026-11-20",
    )
    with pytest.raises(W.WindowError, match="future"):
        W.since(NOW, NOW, NY)


def test_zone_lookup_is_case_insensitive() -> None:
    assert W.find_zone("america/new_york") == "America/New_York"
    assert W.find_zone(" UTC ") == "UTC"
    assert W.find_zone("Mars/Olympus") is None


def test_midnight_in_a_zone_whose_midnight_is_skipped() -> None:
    # Asia/Beirut springs forward at 00:00: the day begins at the gap's end (01:00 local).
    zone = ZoneInfo("Asia/Beirut")
    start = W.midnight(date(2026, 3, 29), zone)
    assert start.astimezone(zone).hour in (0, 1)
    assert W.local_day(start, zone) == date(2026, 3, 29)
    assert W.midnight(date(2026, 3, 30), zone) - start == timedelta(hours=23)


@pytest.mark.parametrize(
    "text",
    ["last 7 days", "today", "yesterday", "this week", "this month", "last week", "last month"],
)
def test_phrase_of_relative_windows_is_their_label(text: str) -> None:
    window = (
        W.calendar(text, NOW, NY) if not text.startswith("last 7") else W.rolling(7, "day", NOW, NY)
    )
    assert W.phrase(window) == text


def test_phrases_of_absolute_windows() -> None:
    start, end = W.parse_point("2026-11-01", NY), W.parse_point("2026-11-03", NY, end=True)
    assert W.phrase(W.between(start, end, NOW, NY)) == "from 2026-11-01 to 2026-11-03"
    timed = W.between(W.parse_point("2026-11-01T01:30-04:00", NY), end, NOW, NY)
    assert W.phrase(timed) == "from 2026-11-01T01:30:00-04:00 to 2026-11-03"
    since = W.since(W.parse_point("2026-11-20T08:00", NY), NOW, NY)
    assert W.phrase(since) == "since 2026-11-20T08:00:00-05:00"
    assert W.absolute_phrase(W.rolling(1, "hour", NOW, ZoneInfo("UTC"))) == (
        "from 2026-11-25T13:30:00+00:00 to 2026-11-25T14:30:00+00:00"
    )
