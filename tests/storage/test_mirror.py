"""The mirror's writes and bookkeeping: upserts, coverage, retention, series across DST."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from revenium import params as P
from revenium.clock import FakeClock
from revenium.figures import summarize
from revenium.query import Query, Window
from revenium.records import Record, format_time
from storage.db import open_db
from storage.mirror import OVERLAP, Mirror
from tests.support import mirror as K

TEAM = "TEAMA"
NOW = datetime(2026, 11, 3, tzinfo=UTC)
ALL = Query(window=Window(K.BASE - timedelta(days=1), K.BASE + timedelta(days=4)))


@pytest.fixture
def mirror() -> Mirror:
    return Mirror(open_db(":memory:"), FakeClock(NOW))


def _rows(mirror: Mirror) -> int:
    return int(mirror.db.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])


def test_upsert_is_idempotent(mirror: Mirror) -> None:
    records = K.make_records(seed=3, count=400)
    assert mirror.upsert(TEAM, records, batch=64) == 400
    first = mirror.summary(TEAM, ALL)
    assert mirror.upsert(TEAM, records, batch=7) == 400
    assert _rows(mirror) == 400
    assert mirror.summary(TEAM, ALL) == first == summarize(records)


def test_a_reread_replaces_a_changed_record_even_when_its_time_moves(mirror: Mirror) -> None:
    records = K.make_records(seed=4, count=200)
    mirror.upsert(TEAM, records)
    moved = {
        **records[0],
        K.COST or "": 99.0,
        "requestTime": format_time(K.BASE + timedelta(days=2, minutes=7)),
    }
    now = [moved, *records[1:]]
    assert mirror.replace(TEAM, ALL.window or Window(NOW, NOW), now) == 200
    assert _rows(mirror) == 200
    assert K.held(mirror, TEAM, moved["id"]) == [K.as_held(moved)]
    assert mirror.summary(TEAM, ALL) == summarize(now)
    hour = Query(window=Window(K.BASE + timedelta(days=2), K.BASE + timedelta(days=2, hours=1)))
    assert mirror.summary(TEAM, hour) == summarize(K.expected(hour, [moved, *records[1:]]))


def test_the_last_copy_of_an_id_in_a_batch_wins(mirror: Mirror) -> None:
    a, b = K.make_records(seed=5, count=2)
    later = {**a, K.COST or "": 2.5}
    mirror.upsert(TEAM, [a, b, later])
    assert _rows(mirror) == 2
    assert K.held(mirror, TEAM, a["id"]) == [K.as_held(later)]


def test_upsert_streams_in_batches(mirror: Mirror) -> None:
    """Never more than one batch read ahead of what is written: constant memory."""
    records = K.make_records(seed=6, count=250)
    lag: list[int] = []

    def source() -> Iterator[Record]:
        for i, record in enumerate(records):
            lag.append(i - _rows(mirror))
            yield record

    mirror.upsert(TEAM, source(), batch=40)
    assert max(lag) <= 40
    assert _rows(mirror) == 250


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"requestTime": "2026-11-01T00:00:00Z"}, "without an id"),
        ({"id": "x1"}, "without an id or a requestTime"),
        ({"id": "x1", "requestTime": "yesterday"}, "x1: unreadable requestTime 'yesterday'"),
    ],
)
def test_unusable_records_are_refused(mirror: Mirror, bad: Record, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mirror.upsert(TEAM, [bad])
    assert _rows(mirror) == 0


def test_records_come_back_with_every_field_the_api_sent(mirror: Mirror) -> None:
    from tests.fakes.revenium import seeded

    box = seeded(end=NOW, days=1, per_day=40)
    sent = box.records()
    mirror.upsert(TEAM, sent)
    got = {
        r["id"]: r
        for r in mirror.records(TEAM, Query(window=Window(NOW - timedelta(days=1), NOW)), limit=100)
    }
    assert len(got) == 40
    for record in sent:
        assert got[record["id"]] == {k: v for k, v in record.items() if k != "_links"}


def test_teams_do_not_mix(mirror: Mirror) -> None:
    mine, theirs = K.make_records(seed=8, count=100), K.make_records(seed=9, count=80)
    mirror.upsert(TEAM, mine)
    mirror.upsert("OTHER", theirs)  # same ids, other team
    assert mirror.summary(TEAM, ALL) == summarize(mine)
    assert mirror.summary("OTHER", ALL) == summarize(theirs)
    assert len(mirror.records("OTHER", ALL, limit=1000)) == 80


def _at(hours: float) -> datetime:
    return K.BASE + timedelta(hours=hours)


def test_coverage_merges_and_covers_only_inside_one_span(mirror: Mirror) -> None:
    assert mirror.watermark(TEAM) is None and mirror.synced_at(TEAM) is None
    mirror.set_coverage(TEAM, _at(0), _at(10))
    mirror.set_coverage(TEAM, _at(10), _at(12))  # touching: merges
    mirror.set_coverage(TEAM, _at(20), _at(30))  # a gap: a second span
    assert mirror.covers(TEAM, Window(_at(1), _at(12)))
    assert not mirror.covers(TEAM, Window(_at(11), _at(21)))  # across the gap
    assert not mirror.covers(TEAM, Window(_at(-1), _at(2)))
    assert not mirror.covers("OTHER", Window(_at(1), _at(2)))
    assert mirror.watermark(TEAM) == _at(30)
    mirror.set_coverage(TEAM, _at(11), _at(25))  # bridges the gap
    assert mirror.covers(TEAM, Window(_at(0), _at(30)))
    assert mirror.synced_at(TEAM) == NOW
    with pytest.raises(ValueError, match="must end after"):
        mirror.set_coverage(TEAM, _at(5), _at(5))


def test_synced_at_follows_the_clock() -> None:
    clock = FakeClock(NOW)
    mirror = Mirror(open_db(":memory:"), clock)
    mirror.set_coverage(TEAM, _at(0), _at(1))
    clock.advance(timedelta(minutes=5))
    mirror.set_coverage(TEAM, _at(1) - OVERLAP, _at(2))
    assert mirror.synced_at(TEAM) == NOW + timedelta(minutes=5)
    assert mirror.watermark(TEAM) == _at(2)


def test_retain_forgets_old_rows_and_coverage(mirror: Mirror) -> None:
    records = K.make_records(seed=10, count=600)
    mirror.upsert(TEAM, records)
    mirror.set_coverage(TEAM, K.BASE, K.BASE + K.SPAN)
    cut = _at(30.5)  # mid-hour: that hour's rollup must be rebuilt from what is left
    kept = [r for r in records if r["requestTime"] >= format_time(cut)]
    assert mirror.retain(cut) == len(records) - len(kept)
    assert _rows(mirror) == len(kept)
    assert K.held(mirror, TEAM, records[0]["id"]) == [
        K.as_held(r) for r in kept[:1] if r is records[0]
    ]
    assert not mirror.covers(TEAM, Window(_at(29), _at(40)))
    assert mirror.covers(TEAM, Window(cut, _at(40)))
    for window in (Window(_at(30), _at(31)), Window(_at(0), _at(72))):
        query = Query(window=window)
        assert mirror.summary(TEAM, query) == summarize(K.expected(query, kept))


def test_newest_first_by_default_then_by_id(mirror: Mirror) -> None:
    same = format_time(_at(5))
    records = [{**r, "requestTime": same} for r in K.make_records(seed=11, count=3)]
    records.append(
        {**K.make_records(seed=12, count=1)[0], "id": "z", "requestTime": format_time(_at(6))}
    )
    mirror.upsert(TEAM, records)
    got = [r["id"] for r in mirror.records(TEAM, ALL, limit=10)]
    assert got == ["z", "r00002", "r00001", "r00000"]
    assert [r["id"] for r in mirror.records(TEAM, ALL, limit=2, offset=1)] == got[1:3]


def _every_ten_minutes(start: datetime, end: datetime) -> list[Record]:
    out, when, i = [], start, 0
    while when < end:
        out.append(
            {
                "id": f"m{i:05d}",
                "requestTime": format_time(when),
                "totalCost": 0.125,
                "actualImageCount": 1,
                "requestDuration": 1000 + i,
            }
        )
        when, i = when + timedelta(minutes=10), i + 1
    return out


def _local_day(day: str, tz: str) -> Window:
    """From local midnight to the next local midnight, as UTC instants."""
    start = datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(tz))
    end = (start + timedelta(days=1)).replace(tzinfo=ZoneInfo(tz))  # wall-clock day
    return Window(start.astimezone(UTC), end.astimezone(UTC), tz)


def test_series_by_hour_on_the_25_hour_day_in_new_york(mirror: Mirror) -> None:
    records = _every_ten_minutes(
        datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    )
    mirror.upsert(TEAM, records)
    window = _local_day("2026-11-01", "America/New_York")
    assert window.end - window.start == timedelta(hours=25)
    hours = mirror.series(TEAM, Query(window=window), "hour", "America/New_York")
    assert len(hours) == 25
    assert [s.requests for _, s in hours] == [6] * 25
    local = [start.astimezone(ZoneInfo("America/New_York")).strftime("%H%z") for start, _ in hours]
    assert local[:3] == ["00-0400", "01-0400", "01-0500"]  # 1 a.m. happens twice
    days = mirror.series(TEAM, Query(window=window), "day", "America/New_York")
    assert [(start, s.requests) for start, s in days] == [(window.start.astimezone(UTC), 150)]
    assert hours == K.expected_series(Query(window=window), records, "hour", "America/New_York")


def test_series_in_kolkata_buckets_at_half_past_utc(mirror: Mirror) -> None:
    records = _every_ten_minutes(
        datetime(2026, 10, 31, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    )
    mirror.upsert(TEAM, records)
    window = Window(
        datetime(2026, 10, 31, 18, 30, tzinfo=UTC), datetime(2026, 11, 2, 18, 30, tzinfo=UTC)
    )
    days = mirror.series(TEAM, Query(window=window), "day", "Asia/Kolkata")
    assert [(start.strftime("%d %H:%M"), s.requests) for start, s in days] == [
        ("31 18:30", 144),
        ("01 18:30", 144),
    ]
    hours = mirror.series(TEAM, Query(window=window), "hour", "Asia/Kolkata")
    assert len(hours) == 48 and {s.requests for _, s in hours} == {6}
    assert hours == K.expected_series(Query(window=window), records, "hour", "Asia/Kolkata")


def _statements(mirror: Mirror, fn: Any) -> list[str]:
    seen: list[str] = []
    mirror.db.conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        mirror.db.conn.set_trace_callback(None)
    return seen


def test_aligned_windows_read_rollups_and_edges_read_rows(mirror: Mirror) -> None:
    records = K.make_records(seed=13, count=800)
    mirror.upsert(TEAM, records)
    aligned = Query(window=Window(_at(0), _at(48)))
    seen = _statements(mirror, lambda: mirror.summary(TEAM, aligned))
    assert any("FROM mirror_rollups" in s for s in seen)
    assert not any("FROM records" in s for s in seen)
    ragged = Query(window=Window(_at(0.25), _at(47.5)))
    seen = _statements(mirror, lambda: mirror.summary(TEAM, ragged))
    assert sum("FROM records" in s for s in seen) == 2  # one statement per edge
    assert mirror.summary(TEAM, ragged) == summarize(K.expected(ragged, records))
    model = P.param("model").name
    both = aligned.with_filter(model, "model-1").with_filter(P.param("agent").name, "agent-1")
    seen = _statements(mirror, lambda: mirror.grouped(TEAM, both, model))
    assert not any("FROM mirror_rollups" in s for s in seen)  # two dimensions: raw rows


def _dirty(mirror: Mirror) -> int:
    return int(mirror.db.conn.execute("SELECT COUNT(*) FROM mirror_dirty").fetchone()[0])


def test_deferred_rollups_are_rebuilt_by_refresh(mirror: Mirror) -> None:
    records = K.make_records(seed=14, count=300)
    mirror.upsert(TEAM, records[:150], refresh=False)
    mirror.upsert(TEAM, records[150:], refresh=False)
    pending = _dirty(mirror)
    assert pending > 24  # 300 records over 72 hours touch most of them
    assert mirror.summary(TEAM, ALL) == summarize(records)  # exact meanwhile: dirty hours read raw
    assert mirror.refresh() == pending
    assert _dirty(mirror) == 0
    aligned = Query(window=Window(_at(0), _at(48)))
    seen = _statements(mirror, lambda: mirror.summary(TEAM, aligned))
    assert not any("FROM records" in s for s in seen)
    assert mirror.summary(TEAM, aligned) == summarize(K.expected(aligned, records))


def test_a_schema_without_a_filter_column_is_refused() -> None:
    db = open_db(":memory:")
    db.execute("DROP VIEW records")
    db.execute("CREATE VIEW records AS SELECT team, t, id FROM record_rows")
    with pytest.raises(RuntimeError, match="add a migration"):
        Mirror(db)
