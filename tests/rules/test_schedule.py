"""Rule slots, catch-up after downtime, local wall times across DST, and digest slots."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from rules.schedule import (
    DigestSlot,
    catch_up,
    check_cron,
    digest_due,
    due,
    latest_slot,
    local_instant,
    next_run,
)
from tests.support.rules import utc

NY = "America/New_York"
FIVE = timedelta(minutes=5)


def test_interval_slots_are_aligned_and_strictly_after() -> None:
    assert next_run(FIVE, "UTC", utc(2026, 11, 2, 12, 3) + timedelta(seconds=10)) == utc(
        2026, 11, 2, 12, 5
    )
    assert next_run(FIVE, "UTC", utc(2026, 11, 2, 12, 5)) == utc(2026, 11, 2, 12, 10)
    assert latest_slot(FIVE, "UTC", utc(2026, 11, 2, 12, 5)) == utc(2026, 11, 2, 12, 5)
    assert latest_slot(FIVE, "UTC", utc(2026, 11, 2, 12, 10) - timedelta(seconds=1)) == utc(
        2026, 11, 2, 12, 5
    )


def test_hourly_slots_follow_the_local_hour_in_kolkata() -> None:
    now = utc(2026, 11, 2, 12, 10)  # 17:40 in Kolkata
    slot = latest_slot(timedelta(hours=1), "Asia/Kolkata", now)
    assert slot == utc(2026, 11, 2, 11, 30)  # 17:00 local
    assert slot.astimezone(ZoneInfo("Asia/Kolkata")).minute == 0


def test_cron_slots_in_the_rule_zone() -> None:
    after = utc(2026, 11, 2, 12, 0)  # 07:00 in New York
    assert next_run("0 9 * * *", NY, after) == utc(2026, 11, 2, 14, 0)
    assert latest_slot("0 9 * * *", NY, utc(2026, 11, 2, 14, 0)) == utc(2026, 11, 2, 14, 0)
    assert latest_slot("0 9 * * *", NY, utc(2026, 11, 2, 13, 59)) == utc(2026, 11, 1, 14, 0)
    with pytest.raises(ValueError, match="not a cron expression"):
        check_cron("every day")
    assert check_cron("*/5 * * * *") == "*/5 * * * *"


def test_due_and_catch_up_run_once_at_the_latest_slot_after_downtime() -> None:
    position = utc(2026, 11, 2, 12, 0)
    assert not due(position, FIVE, utc(2026, 11, 2, 12, 5) - timedelta(seconds=1))
    assert due(position, FIVE, utc(2026, 11, 2, 12, 5))
    back = utc(2026, 11, 2, 15, 7) + timedelta(seconds=30)  # three hours down: 37 slots missed
    assert catch_up(position, FIVE, back) == utc(2026, 11, 2, 15, 5)
    assert catch_up(utc(2026, 11, 2, 15, 5), FIVE, back) is None
    assert catch_up(None, FIVE, back) == utc(2026, 11, 2, 15, 5)


def test_a_tick_driven_loop_never_replays_missed_slots() -> None:
    position, runs = None, []
    now = utc(2026, 11, 2, 12, 0)
    ticks = [now + timedelta(minutes=m) for m in (*range(0, 12), *range(300, 306))]
    for tick in ticks:
        slot = catch_up(position, FIVE, tick)
        if slot is not None:
            runs.append(slot)
            position = slot
    assert runs == [
        utc(2026, 11, 2, 12, 0),
        utc(2026, 11, 2, 12, 5),
        utc(2026, 11, 2, 12, 10),
        utc(2026, 11, 2, 17, 0),
        utc(2026, 11, 2, 17, 5),
    ]


def test_local_instant_exists_gap_and_fold() -> None:
    zone = ZoneInfo(NY)
    normal = local_instant(date(2026, 11, 2), time(9), NY)
    assert normal == utc(2026, 11, 2, 14, 0)
    # Spring forward: 02:30 does not exist; the first instant after the gap is 03:00 EDT.
    gap = local_instant(date(2026, 3, 8), time(2, 30), NY)
    assert gap == utc(2026, 3, 8, 7, 0)
    assert gap.astimezone(zone).strftime("%H:%M %Z") == "03:00 EDT"
    # Fall back: 01:30 happens twice; the first one (EDT) is chosen.
    fold = local_instant(date(2026, 11, 1), time(1, 30), NY)
    assert fold == utc(2026, 11, 1, 5, 30)
    assert fold.astimezone(zone).strftime("%Z") == "EDT"
    # Lord Howe moves its clocks by 30 minutes: 02:15 does not exist, 02:30 is next.
    howe = local_instant(date(2026, 10, 4), time(2, 15), "Australia/Lord_Howe")
    assert howe.astimezone(ZoneInfo("Australia/Lord_Howe")).strftime("%H:%M") == "02:30"


CREATED = utc(2026, 1, 1)


def test_repeated_ticks_within_a_minute_give_one_slot() -> None:
    nine = utc(2026, 11, 24, 14, 0)  # 09:00 in New York
    assert digest_due(time(9), NY, nine - timedelta(seconds=1), None, CREATED) is not None
    first = digest_due(time(9), NY, nine, date(2026, 11, 23), CREATED)
    assert first == DigestSlot(date(2026, 11, 24), nine, late=False)
    # Until the post is recorded every tick names the same slot, so the outbox key dedups.
    for second in range(0, 60, 7):
        again = digest_due(
            time(9), NY, nine + timedelta(seconds=second), date(2026, 11, 23), CREATED
        )
        assert again is not None and again.key("C1") == first.key("C1") == ("C1", "2026-11-24")
    for second in range(0, 60, 7):
        assert (
            digest_due(time(9), NY, nine + timedelta(seconds=second), first.local_date, CREATED)
            is None
        )


def ticks(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    out, now = [], start
    while now < end:
        out.append(now)
        now += every
    return out


def run_digest(
    at: time, tz: str, times: list[datetime], created: datetime | None = None
) -> list[DigestSlot]:
    """Call digest_due on each tick, recording each post as the store would.

    The digest is created at the first tick unless `created` says otherwise.
    """
    created = created or times[0]
    last: date | None = None
    posted = []
    for now in times:
        slot = digest_due(at, tz, now, last, created)
        if slot is not None:
            posted.append(slot)
            last = slot.local_date
    return posted


def test_croniter_fires_twice_on_fall_back_and_digest_due_once() -> None:
    zone = ZoneInfo(NY)
    it = croniter("30 1 * * *", datetime(2026, 10, 31, 12, tzinfo=zone))
    fires = [it.get_next(datetime) for _ in range(3)]
    on_the_day = [f for f in fires if f.astimezone(zone).date() == date(2026, 11, 1)]
    assert len(on_the_day) == 2  # 01:30 EDT and 01:30 EST: the double fire
    times = ticks(utc(2026, 10, 31, 12), utc(2026, 11, 2, 12), timedelta(minutes=1))
    posted = run_digest(time(1, 30), NY, times)
    assert [p.local_date for p in posted] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert posted[0].at == utc(2026, 11, 1, 5, 30)  # the first 01:30 (EDT)


def test_spring_forward_posts_once_right_after_the_gap() -> None:
    times = ticks(utc(2026, 3, 7, 12), utc(2026, 3, 9, 0), timedelta(minutes=1))
    posted = run_digest(time(2, 30), NY, times)
    assert [p.local_date for p in posted] == [date(2026, 3, 8)]
    assert posted[0].at == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert not posted[0].late


def test_daily_digest_keeps_local_time_across_dst() -> None:
    times = ticks(utc(2026, 10, 30, 0), utc(2026, 11, 3, 0), timedelta(minutes=10))
    posted = run_digest(time(9), NY, times)
    local = [p.at.astimezone(ZoneInfo(NY)).strftime("%m-%d %H:%M") for p in posted]
    assert local == ["10-30 09:00", "10-31 09:00", "11-01 09:00", "11-02 09:00"]


def test_outage_of_two_days_gives_one_late_digest() -> None:
    last = date(2026, 11, 21)
    back = utc(2026, 11, 24, 12, 0)  # 07:00 in New York on the 24th; down since the 21st
    slot = digest_due(time(9), NY, back, last, CREATED)
    assert slot is not None and slot.local_date == date(2026, 11, 23) and slot.late
    assert digest_due(time(9), NY, back + timedelta(minutes=1), slot.local_date, CREATED) is None
    today = digest_due(time(9), NY, utc(2026, 11, 24, 14, 0), slot.local_date, CREATED)
    assert today is not None and today.local_date == date(2026, 11, 24) and not today.late


def test_a_slightly_delayed_tick_is_not_late() -> None:
    slot = digest_due(time(9), NY, utc(2026, 11, 24, 14, 10), None, CREATED)
    assert slot is not None and not slot.late


def test_created_after_todays_time_first_posts_tomorrow() -> None:
    created = utc(2026, 11, 24, 15, 0)  # 10:00 in New York, digest at 09:00
    times = ticks(created, utc(2026, 11, 26, 0), timedelta(minutes=5))
    posted = run_digest(time(9), NY, times, created)
    assert [p.local_date for p in posted] == [date(2026, 11, 25)]
    created_early = utc(2026, 11, 24, 13, 0)  # 08:00: today's 09:00 still counts
    assert digest_due(time(9), NY, utc(2026, 11, 24, 14, 0), None, created_early) is not None


def test_weekly_digest_on_monday() -> None:
    times = ticks(utc(2026, 11, 1), utc(2026, 11, 20), timedelta(minutes=30))
    last: date | None = None
    posted = []
    for now in times:
        slot = digest_due(time(9), NY, now, last, times[0], weekday=0)
        if slot is not None:
            posted.append(slot.local_date)
            last = slot.local_date
    assert posted == [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    # After a week-long outage, the most recent Monday only.
    slot = digest_due(time(9), NY, utc(2026, 11, 26), date(2026, 11, 9), CREATED, weekday=0)
    assert slot is not None and slot.local_date == date(2026, 11, 23) and slot.late
