"""Issue 6's "done means", end to end: a fake clock drives the real scheduler pass tick
after tick (every minute around each due time, repeated within a minute, every 15 minutes
elsewhere) over the DST changes of 2026 in New York and on Lord Howe (30 minutes), beside
Kolkata (+05:30), and through a 2-day outage. Each channel shows exactly one digest per local
date whose time (and the settle delay) has passed, at most one late one, and its figures equal
a plain computation over the sandbox's records for the local day that just ended.

Local time here is read off zoneinfo minute by minute (tests/dst_kit.py), not computed the
way rules/schedule.py does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.render import fmt
from revenium import params as P
from revenium.figures import Summary, group, summarize
from revenium.query import Query
from revenium.records import Record, parse_time
from rules.model import DEFAULT_SETTLE, Digest
from storage import digests as D
from tests.fakes.slack import FakeSlack
from tests.support import oracle
from tests.support.dst import Post, day_start, expected_posts, marks, tick_plan, traffic
from tests.support.world import TS_BASE, Process, World

NY, KOLKATA, LORD_HOWE = "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"
ENV = P.param("environment").name
DAY = timedelta(days=1)
HISTORY = timedelta(days=17)  # the day before the first digest's, and the 7 before that
MOST = 8  # digests a channel can see in a scenario (5 days at most): more is a bug


@dataclass(frozen=True)
class Channel:
    id: str
    tz: str
    at: time
    filters: tuple[tuple[str, str], ...] = ()

    def digest(self, created: datetime) -> Digest:
        return Digest(self.id, self.at, created, self.tz, query=Query(filters=self.filters))


CHANNELS = (
    Channel("C0NY0130", NY, time(1, 30)),  # 2026-11-01: 01:30 happens twice
    Channel("C0NY0230", NY, time(2, 30)),  # 2026-03-08: 02:30 never happens (03:00 instead)
    Channel("C0NY0000", NY, time(0, 0)),  # the day has to settle: 00:05
    Channel("C0KOLKATA", KOLKATA, time(1, 30), filters=((ENV, "production"),)),
    Channel("C0LH0145", LORD_HOWE, time(1, 45)),  # 2026-04-05: 01:30-02:00 happens twice
    Channel("C0LH0215", LORD_HOWE, time(2, 15)),  # 2026-10-04: 02:00-02:30 never happens
)


@dataclass(frozen=True)
class Scenario:
    name: str
    start: datetime  # the digests are created then, and the first tick
    end: datetime
    odd: tuple[tuple[str, date, float], ...]  # (zone, local day, hours): a digest covers it
    landmark: tuple[str, datetime, str]  # (channel, tick, title): worked out by hand
    outage: tuple[datetime, datetime] | None = None

    def ticks(self) -> list[datetime]:
        dense: set[datetime] = set()
        for tz in {c.tz for c in CHANNELS}:
            times = [time(0)] + [c.at for c in CHANNELS if c.tz == tz]
            dense |= marks(tz, times, self.start, self.end)
        return tick_plan(self.start, self.end, dense, self.outage)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


SCENARIOS = (
    Scenario(
        "ny-spring-forward",
        utc(2026, 3, 6),
        utc(2026, 3, 10, 12),
        odd=((NY, date(2026, 3, 8), 23),),  # 02:30 is 03:00 EDT, 07:00 UTC
        landmark=("C0NY0230", utc(2026, 3, 8, 7), "Sat Mar 07"),
    ),
    Scenario(
        "ny-fall-back",
        utc(2026, 10, 30),
        utc(2026, 11, 3, 12),
        odd=((NY, date(2026, 11, 1), 25),),  # the first 01:30, EDT
        landmark=("C0NY0130", utc(2026, 11, 1, 5, 30), "Sat Oct 31"),
    ),
    Scenario(
        "lord-howe-forward-30m",
        utc(2026, 10, 2),
        utc(2026, 10, 6),
        odd=((LORD_HOWE, date(2026, 10, 4), 23.5),),  # 02:15 is 02:30 LHDT
        landmark=("C0LH0215", utc(2026, 10, 3, 15, 30), "Sat Oct 03"),
    ),
    Scenario(
        "lord-howe-back-30m",
        utc(2026, 4, 3),
        utc(2026, 4, 7),
        odd=((LORD_HOWE, date(2026, 4, 5), 24.5),),  # the first 01:45, +11:00
        landmark=("C0LH0145", utc(2026, 4, 4, 14, 45), "Sat Apr 04"),
    ),
    Scenario(
        "two-day-outage",
        utc(2026, 10, 30),
        utc(2026, 11, 4),
        odd=((NY, date(2026, 11, 1), 25),),
        landmark=("C0NY0000", utc(2026, 11, 2, 6), "Sun Nov 01 (late)"),
        outage=(utc(2026, 10, 31, 6), utc(2026, 11, 2, 6)),
    ),
    # Back at 00:02 New York: the 00:00 digest of that date waits for 00:05, and the one
    # missed in the outage (Sunday's) is posted at once, late, rather than never.
    Scenario(
        "outage-ends-while-a-day-settles",
        utc(2026, 10, 30),
        utc(2026, 11, 4, 12),
        odd=((NY, date(2026, 11, 1), 25),),
        landmark=("C0NY0000", utc(2026, 11, 3, 5, 2), "Sun Nov 01 (late)"),
        outage=(utc(2026, 11, 2), utc(2026, 11, 3, 5, 2)),
    ),
)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_one_digest_per_channel_and_local_date_with_the_days_figures(
    tmp_path: Path, scenario: Scenario
) -> None:
    ticks = scenario.ticks()
    seen, records = run(tmp_path, scenario, ticks)
    covered: set[tuple[str, date]] = set()
    for channel in CHANNELS:
        expected = expected_posts(channel.tz, channel.at, scenario.start, ticks, DEFAULT_SETTLE)
        shown = [(when, header(message)) for when, message in seen[channel.id]]
        assert shown == [(p.shown, title(p)) for p in expected], channel.id
        titles = [t for _, t in shown]
        assert len(set(titles)) == len(titles) >= 3  # never two for one date
        late = [when for when, t in shown if t.endswith("(late)")]
        assert late == ([scenario.outage[1]] if scenario.outage else [])  # one, after it
        days = local_days(records, channel)
        for (_, message), post in zip(seen[channel.id], expected, strict=True):
            check_figures(message, channel, post, days)
            covered.add((channel.tz, post.day - DAY))
            hours = {(tz, d): h for tz, d, h in scenario.odd}.get((channel.tz, post.day - DAY))
            if hours is not None and not channel.filters:  # a record every 10 minutes
                assert f"{fmt.count(round(hours * 6))} requests" in headline(message)[2]
    where, when, day_title = scenario.landmark
    assert (when, f"☀️ Image spend, {day_title}") in [(w, header(m)) for w, m in seen[where]]
    for tz, day, hours in scenario.odd:
        assert (tz, day) in covered
        assert day_start(tz, day + DAY) - day_start(tz, day) == timedelta(hours=hours)


def run(
    tmp_path: Path, scenario: Scenario, ticks: list[datetime]
) -> tuple[dict[str, list[tuple[datetime, dict[str, Any]]]], list[Record]]:
    """Each channel's messages, with the tick after which each first showed. The process is
    down during the outage: a new one, over the same files, ticks after it."""
    with FakeSlack(ts_base=TS_BASE) as slack:
        for channel in CHANNELS:
            slack.add_channel(channel.id, channel.id.lower())
        world = World(tmp_path, slack)
        world.box.add_records(traffic(scenario.start - HISTORY, scenario.end))
        world.clock.set(scenario.start)
        proc = world.process()
        for channel in CHANNELS:
            D.save_digest(proc.db, channel.digest(scenario.start))
        seen: dict[str, list[tuple[datetime, dict[str, Any]]]] = {c.id: [] for c in CHANNELS}
        back = scenario.outage[1] if scenario.outage else scenario.end + DAY
        try:
            drive(world, proc, [t for t in ticks if t < back], seen)
        finally:
            proc.close()
        proc = world.process("after-the-outage")
        try:
            drive(world, proc, [t for t in ticks if t >= back], seen)
        finally:
            proc.close()
        return seen, world.box.records()


def drive(
    world: World,
    proc: Process,
    ticks: list[datetime],
    seen: dict[str, list[tuple[datetime, dict[str, Any]]]],
) -> None:
    """A pass at each tick; what each channel shows after it is added to `seen`."""
    calls = len(world.slack.calls())
    for when in ticks:
        world.clock.set(max(when, world.clock.now()))  # sending may have moved the clock on
        proc.tick()
        if len(world.slack.calls()) == calls:
            continue  # nothing reached Slack: every channel reads as it did
        calls = len(world.slack.calls())
        for channel, messages in seen.items():
            messages += [(when, m) for m in world.slack.messages(channel)[len(messages) :]]
            assert len(messages) <= MOST, f"{channel}: {len(messages)} digests by {when}"


def title(post: Post) -> str:
    return f"☀️ Image spend, {post.day - DAY:%a %b %d}" + (" (late)" if post.late else "")


def header(message: dict[str, Any]) -> str:
    return str(next(b for b in message["blocks"] if b["type"] == "header")["text"]["text"])


def sections(message: dict[str, Any]) -> list[list[str]]:
    return [b["text"]["text"].splitlines() for b in message["blocks"] if b["type"] == "section"]


def headline(message: dict[str, Any]) -> list[str]:
    return sections(message)[0]


def footer(message: dict[str, Any]) -> str:
    found = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    return " ".join(found)


def local_days(records: list[Record], channel: Channel) -> dict[date, list[Record]]:
    """The channel's records by the local calendar date they happened on in its zone."""
    zone, params = ZoneInfo(channel.tz), dict(channel.filters)
    days: dict[date, list[Record]] = {}
    for r in records:
        if oracle.matches(params, r):
            days.setdefault(parse_time(r["requestTime"]).astimezone(zone).date(), []).append(r)
    return days


def check_figures(
    message: dict[str, Any], channel: Channel, post: Post, days: dict[date, list[Record]]
) -> None:
    day = post.day - DAY
    mine, before = days[day], summarize(days[day - DAY])
    week = summarize([r for n in range(1, 8) for r in days[day - n * DAY]])
    s = summarize(mine)
    assert s.cost_per_image is not None
    assert headline(message) == [
        f"*{fmt.money(s.cost)}*" + vs(s.cost, before.cost, week.cost / 7, day),
        f"*{fmt.count(s.images)}* images" + vs(s.images, before.images, week.images / 7, day),
        f"{fmt.count(s.requests)} requests"
        + vs(s.requests, before.requests, week.requests / 7, day),
        f"Errors *{fmt.percent(s.error_rate)}*"
        + vs(s.error_rate, before.error_rate, week.error_rate, day),
        f"*{fmt.money(s.cost_per_image)}* per image"
        + vs(s.cost_per_image, before.cost_per_image, per_image(week), day),
    ]
    detail = sections(message)[1]
    for dimension in ("model", "provider", "agent"):
        top = group(mine, P.param(dimension).field or dimension)[:5]
        shown = " · ".join(f"{value} {fmt.money(x.cost)}" for value, x in top)
        assert f"Top {dimension}s: {shown}" in detail
    reasons = [(str(v), x) for v, x in group(mine, "errorReason") if v]
    reasons.sort(key=lambda row: (-row[1].requests, -row[1].wasted_cost, row[0]))
    wasted = [f"{v} {x.requests} ({fmt.money(x.wasted_cost)} wasted)" for v, x in reasons[:5]]
    assert "Errors: " + " · ".join(wasted) in detail
    start, end = (
        day_start(channel.tz, d).astimezone(ZoneInfo(channel.tz)) for d in (day, post.day)
    )
    said = footer(message)
    assert f"{start:%b %d} 00:00 → {end:%b %d} 00:00 {channel.tz}" in said
    assert ("⏰ late" in said) == post.late
    assert all(f"{name} = {value}" in said for name, value in channel.filters)


def vs(now: float, before: float | None, average: float | None, day: date) -> str:
    prior = f"{day - DAY:%a}"
    return f" · {fmt.change(now, before)} vs {prior} · {fmt.change(now, average)} vs 7-day avg"


def per_image(s: Summary) -> float | None:
    return s.cost / s.images if s.images else None
