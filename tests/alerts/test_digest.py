"""The digest's figures equal a plain computation over the sandbox's records for the local
day (25 hours in New York on 2026-11-01, +05:30 in Kolkata, a 23.5-hour day on Lord Howe),
and the message stays within Block Kit's limits and tells what a channel should know."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.digest import build_digest, digest_extras
from bot.grammar.command import parse
from bot.render.blocks import MAX_BLOCKS, MAX_HEADER, MAX_SECTION
from bot.render.terminal import blocks_to_text
from revenium import params as P
from revenium.figures import group, summarize
from revenium.query import Query
from revenium.records import Record, parse_time
from revenium.sandbox.core import Sandbox
from revenium.source import ApiSource
from rules.model import Budget, Digest, Metric, Period, Rule
from rules.silences import Silence
from storage import alerts as A
from storage import budgets as BG
from storage import outbox as O
from storage import silences as S
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, seeded, source_over
from tests.support import oracle
from tests.support.world import per_minute, record

END = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
ENV = P.param("environment").name


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    found = seeded(end=END, seed=5, days=35, per_day=150)
    yield found
    found.close()


@pytest.fixture
def source(box: Sandbox) -> Iterator[ApiSource]:
    found = source_over(box)
    yield found
    found.close()


def local_day(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, straight from zoneinfo."""
    zone = ZoneInfo(tz)
    nxt = day + timedelta(days=1)
    return (
        datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC),
        datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(UTC),
    )


def on(records: list[Record], day: date, tz: str, params: dict[str, str]) -> list[Record]:
    start, end = local_day(day, tz)
    return [
        r
        for r in records
        if start <= parse_time(r["requestTime"]) < end and oracle.matches(params, r)
    ]


@pytest.mark.parametrize(
    ("tz", "posted", "hours"),
    [
        ("America/New_York", date(2026, 11, 2), 25),  # covers the fall-back day
        ("America/New_York", date(2026, 10, 31), 24),
        ("Asia/Kolkata", date(2026, 10, 30), 24),
        ("Australia/Lord_Howe", date(2026, 10, 5), 23.5),  # clocks go forward 30 minutes
    ],
)
def test_figures_equal_a_plain_computation(
    box: Sandbox, source: ApiSource, tz: str, posted: date, hours: float
) -> None:
    digest = Digest("C0FINOPS", time(9), CREATED, tz, query=Query(filters=((ENV, "production"),)))
    now = datetime.combine(posted, time(9), ZoneInfo(tz)).astimezone(UTC)
    reply = build_digest(source, digest, posted, now)
    assert reply is not None
    data = reply.data["digest"]
    params = {ENV: "production"}
    everything = box.records()
    day = posted - timedelta(days=1)
    start, end = local_day(day, tz)
    assert (end - start) / timedelta(hours=1) == hours
    assert data["window"] == {"start": start.isoformat(), "end": end.isoformat()}
    mine = on(everything, day, tz, params)
    assert mine and data["summary"] == summarize(mine).as_dict()
    assert (
        data["before"] == summarize(on(everything, day - timedelta(days=1), tz, params)).as_dict()
    )
    week = [on(everything, day - timedelta(days=n), tz, params) for n in range(1, 8)]
    flat = [r for d in week for r in d]
    average = data["average"]
    assert average["cost"] == pytest.approx(summarize(flat).cost / 7)
    assert average["requests"] == pytest.approx(len(flat) / 7)
    assert average["error_rate"] == pytest.approx(summarize(flat).error_rate)
    for dimension in ("model", "provider", "agent"):
        plain = group(mine, P.param(dimension).field or dimension)[:5]
        assert data["top"][dimension] == [{"value": v, "cost": s.cost} for v, s in plain]
    reasons = [(v, s) for v, s in group(mine, "errorReason") if v]
    reasons.sort(key=lambda row: (-row[1].requests, -row[1].wasted_cost, row[0]))
    assert data["errors"] == [
        {"reason": v, "count": s.requests, "wasted_cost": s.wasted_cost} for v, s in reasons[:5]
    ]
    days = [day - timedelta(days=n) for n in range(13, -1, -1)]
    assert data["daily_costs"] == [
        [d.isoformat(), pytest.approx(summarize(on(everything, d, tz, params)).cost)] for d in days
    ]
    shown = next(
        e["value"] for e in reply.blocks[-1]["elements"] if e["action_id"] == "show_records"
    )
    again = parse(f"list {shown}", now=now, tz="UTC").query
    assert again.filters == digest.query.filters
    assert again.window is not None and (again.window.start, again.window.end) == (start, end)
    text = blocks_to_text(reply.blocks)
    assert f"Image spend, {day:%a %b %d}" in text
    assert f"vs {(day - timedelta(days=1)):%a}" in text and "vs 7-day avg" in text
    assert "_environment = production_" in str(reply.blocks[-2])


def test_a_weekly_digest_covers_the_seven_days_before(box: Sandbox, source: ApiSource) -> None:
    digest = Digest("C0FINOPS", time(9), CREATED, "Asia/Kolkata", weekday=0)
    reply = build_digest(source, digest, date(2026, 11, 2), END)
    assert reply is not None
    days = [date(2026, 10, 26) + timedelta(days=n) for n in range(7)]
    everything = box.records()
    mine = [r for d in days for r in on(everything, d, "Asia/Kolkata", {})]
    assert reply.data["digest"]["summary"] == summarize(mine).as_dict()
    assert reply.data["digest"]["average"] is None
    assert "week Oct 26 – Nov 01" in blocks_to_text(reply.blocks)


def test_a_day_without_spend_is_said_or_skipped() -> None:
    empty = Sandbox(None, api_key=KEY, team_id=TEAM, rate_per_s=1e9)
    source = source_over(empty)
    digest = Digest("C0FINOPS", time(9), CREATED, "UTC")
    reply = build_digest(source, digest, date(2026, 11, 2), END)
    assert reply is not None and "No image requests that day." in blocks_to_text(reply.blocks)
    skipping = Digest("C0FINOPS", time(9), CREATED, "UTC", skip_empty=True)
    assert build_digest(source, skipping, date(2026, 11, 2), END) is None
    source.close()


def test_late_budgets_alerts_and_silences_and_escaping() -> None:
    box = Sandbox(None, api_key=KEY, team_id=TEAM, rate_per_s=1e9)
    day = datetime(2026, 11, 1, 10, tzinfo=UTC)
    box.add_records(per_minute(day, day + timedelta(hours=2), 1.0, model="<!channel>"))
    box.add_records([record(day, 0.5, errorReason="timeout"), record(day, 0, errorReason="x&y")])
    db = open_db(":memory:")
    now = datetime(2026, 11, 2, 9, 40, tzinfo=UTC)
    A.add_rule(db, Rule("runaway", Metric.COST, 50.0, timedelta(hours=1), channel="C0FINOPS"), now)
    BG.add_budget(db, Budget("monthly", 1000.0, Period.MONTH, channel="C0FINOPS"), now)
    BG.add_budget(db, Budget("elsewhere", 10.0, Period.MONTH, channel="C0OTHER"), now)
    S.add_silence(db, Silence("runaway", None, now + timedelta(hours=3), "U0MARIA"), now)
    O.enqueue(
        db,
        [
            O.Outgoing("k1", "C0FINOPS", {}, kind="fired", subject="runaway"),
            O.Outgoing("k2", "C0FINOPS", {}, kind="resolved", subject="runaway"),
            O.Outgoing("k3", "C0OTHER", {}, kind="fired", subject="other"),
        ],
        now,
    )
    extras = digest_extras(db, "C0FINOPS", now)
    assert [b.name for b in extras.budgets] == ["monthly"]
    assert extras.alerts == (("runaway", "fired"), ("runaway", "resolved"))
    digest = Digest("C0FINOPS", time(9), CREATED, "UTC")
    source = source_over(box)
    reply = build_digest(source, digest, date(2026, 11, 2), now, extras=extras, late=True)
    assert reply is not None
    text = blocks_to_text(reply.blocks)
    assert "Image spend, Sun Nov 01 (late)" in text and "⏰ late" in text
    assert "Budget `monthly`: 12 % used ($120.50 of $1,000.00), on pace for" not in text  # early
    assert "Budget `monthly`: 12 % used ($120.50 of $1,000.00)" in text
    assert "Alerts (24 h): `runaway` fired 1×, resolved 1×" in text
    assert "Silences ending soon: `runaway` until 12:40 by <@U0MARIA>" in str(reply.blocks)
    raw = str(reply.blocks)
    assert "<!channel>" not in raw and "&lt;!channel&gt;" in raw and "x&amp;y" in raw
    assert "Errors: timeout 1 ($0.50 wasted) · x&amp;y 1" in raw
    check_limits(reply.blocks)
    source.close()


def test_it_fits_block_kit_with_long_names() -> None:
    box = Sandbox(None, api_key=KEY, team_id=TEAM, rate_per_s=1e9)
    day = datetime(2026, 11, 1, 10, tzinfo=UTC)
    for n in range(60):
        box.add_records(
            [
                record(
                    day,
                    1 + n,
                    model=f"m{n}-" + "x" * 150,
                    agent="a" * 200,
                    errorReason=f"reason-{n}-" + "r" * 180,
                )
            ]
        )
    source = source_over(box)
    digest = Digest("C0FINOPS", time(9), CREATED, "Pacific/Chatham")
    reply = build_digest(source, digest, date(2026, 11, 2), END)
    assert reply is not None
    check_limits(reply.blocks)
    assert reply.text and len(reply.text) < 1000
    source.close()


def check_limits(blocks: list[dict[str, Any]]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= MAX_HEADER
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= MAX_SECTION
        for line in block.get("text", {}).get("text", "").splitlines():
            assert len(line) < 1000  # a phone wraps lines; none runs on for pages


def test_the_announced_next_post_waits_for_the_settle_delay_like_the_scheduler() -> None:
    from datetime import time as clock_time

    from bot.commands.digest import next_post
    from rules.model import Digest

    created = datetime(2026, 11, 20, 12, tzinfo=UTC)
    midnight = Digest("C1", clock_time(0, 0), created, tz="America/New_York")
    nine = Digest("C1", clock_time(9, 0), created, tz="America/New_York")
    evening = datetime(2026, 11, 24, 23, tzinfo=UTC)  # 18:00 in New York
    posted = date(2026, 11, 24)  # today's are done: the next ones are tomorrow's
    assert next_post(midnight, posted, evening) == datetime(2026, 11, 25, 5, 5, tzinfo=UTC)
    assert next_post(nine, posted, evening) == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def test_the_digest_says_what_moved_and_where_the_month_is_heading(
    box: Sandbox, source: ApiSource
) -> None:
    digest = Digest("C0FINOPS", time(9), CREATED, "UTC")
    reply = build_digest(source, digest, date(2026, 11, 2), END)  # covers Sunday Nov 1
    assert reply is not None
    data, everything = reply.data["digest"], box.records()
    sunday = summarize(on(everything, date(2026, 11, 1), "UTC", {})).cost
    saturday = summarize(on(everything, date(2026, 10, 31), "UTC", {})).cost
    assert data["change"] == {
        "before": pytest.approx(saturday),
        "after": pytest.approx(sunday),
        "delta": pytest.approx(sunday - saturday),
    }
    # November so far is that one day: its pace, for the 29 days left.
    assert data["forecast"]["so_far"] == pytest.approx(sunday)
    assert data["forecast"]["value"] == pytest.approx(sunday * 30)
    text = blocks_to_text(reply.blocks)
    assert "What moved vs the day before" in text and "Month-end forecast" in text
    assert "month to date + the last day's pace × days left" in text
