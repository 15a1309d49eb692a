"""Late and corrected records: a record that reaches the API hours after its requestTime, or
comes back changed, is in the next answer after the freshness interval, at a bounded cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from revenium.clock import FakeClock
from revenium.figures import summarize
from revenium.query import Query, Window
from revenium.records import Record, format_time, parse_time
from revenium.sandbox.core import Sandbox
from revenium.sync import Reader
from storage.db import ThreadDatabases
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, client_over, seeded, source_over
from tests.support.mirror import close

NOW = datetime(2026, 11, 25, 12, 7, tzinfo=UTC)
H = timedelta(hours=1)
STEP = timedelta(seconds=61)  # just past the freshness limit: every answer syncs


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = seeded(end=NOW, seed=5, days=36, per_day=240)
    yield sandbox
    sandbox.close()


def source(box: Sandbox, path: Path, clock: FakeClock) -> MirroredSource:
    return MirroredSource(
        ThreadDatabases(path),
        TEAM,
        Reader(client_over(box), {"page_size": 200}),
        source_over(box),
        clock,
        freshness=timedelta(seconds=60),
    )


def last(days: float, now: datetime) -> Query:
    return Query(window=Window(now - timedelta(days=days), now, "UTC", f"last {days}d"))


def truth(box: Sandbox, query: Query) -> list[Record]:
    assert query.window is not None
    return [r for r in box.records() if query.window.contains(parse_time(r["requestTime"]))]


def late(ago: timedelta, now: datetime, cost: float, n: int) -> Record:
    return {
        "id": f"Late{n:04d}",
        "requestTime": format_time(now - ago),
        "totalCost": cost,
        "model": "dall-e-3",
        "actualImageCount": 2,
        "requestedImageCount": 2,
        "requestDuration": 4321,
    }


@pytest.mark.parametrize("ago", [timedelta(minutes=5), timedelta(hours=2), timedelta(hours=30)])
def test_a_late_record_is_in_the_next_answer_at_a_bounded_cost(
    box: Sandbox, tmp_path: Path, ago: timedelta
) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    src.summary(last(30, NOW))  # cold
    for _ in range(3):  # quiet syncs cost a handful of requests each
        clock.advance(STEP)
        before = box.requests
        src.summary(last(2, clock.now()))
        assert box.requests - before <= 4
    box.add_records([late(ago, clock.now(), 9.75, 1), late(ago, clock.now(), 0.5, 2)])
    clock.advance(STEP)
    before = box.requests
    query = last(2, clock.now())
    got = src.summary(query)
    cost = box.requests - before
    assert close(got, summarize(truth(box, query)))
    assert cost <= 30, f"{cost} requests to find two late records"
    ids = {r["id"] for r in src.records(query, limit=100_000)}
    assert {"Late0001", "Late0002"} <= ids
    assert src.as_of() == clock.now()  # the freshness line: read as of now, late ones included


def test_late_records_in_many_hours_and_days_are_all_found(box: Sandbox, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    src.summary(last(30, NOW))
    clock.advance(STEP)
    agos = [timedelta(hours=h, minutes=13) for h in (1, 3, 7, 26, 47, 100, 400)]
    box.add_records([late(ago, clock.now(), 1.25, i) for i, ago in enumerate(agos)])
    clock.advance(STEP)
    query = last(30, clock.now())
    assert close(src.summary(query), summarize(truth(box, query)))
    clock.advance(STEP)
    before = box.requests
    src.summary(query)
    assert box.requests - before <= 4  # and the next sync finds nothing more to do


def test_a_record_changed_in_place_replaces_the_old_one(box: Sandbox, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    src.summary(last(30, NOW))
    recent = truth(box, Query(window=Window(NOW - 10 * H, NOW - 3 * H)))
    changed = {**recent[0], "totalCost": 123.0}
    moved = {**recent[1], "requestTime": format_time(NOW - 1.5 * H), "totalCost": 7.0}
    box.replace_records([changed, moved])
    query = last(2, NOW)
    syncs = 0
    for syncs in range(1, 100):  # noqa: B007  # counts cannot see a change of cost: the slow re-read does
        clock.advance(STEP)
        query = last(2, clock.now())
        if close(src.summary(query), summarize(truth(box, query))):
            break
    assert syncs <= 50  # every hour of the last 48 is read again within 48 syncs (or so)
    rows = {r["id"]: r for r in src.records(query, limit=100_000)}
    assert rows[changed["id"]]["totalCost"] == 123.0
    assert rows[moved["id"]]["requestTime"] == moved["requestTime"]
    assert len(rows) == len(truth(box, query))  # the moved record is there once
