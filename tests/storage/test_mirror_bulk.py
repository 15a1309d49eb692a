"""The mirror's loads: known rows are replaced, teams stay apart; numpy rollups = the row loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revenium.clock import FakeClock
from revenium.figures import summarize
from revenium.query import Query, Window
from storage import columns as C
from storage import cubes
from storage import rollups as R
from storage.db import open_db
from storage.mirror import Mirror
from tests.support import mirror as K

TEAM = "TEAMA"
ALL = Query(window=Window(K.BASE - timedelta(days=1), K.BASE + timedelta(days=4)))


def _mirror() -> Mirror:
    return Mirror(open_db(":memory:"), FakeClock(datetime(2026, 11, 3, tzinfo=UTC)))


def test_a_batch_mixing_new_and_known_ids_replaces_the_known_ones() -> None:
    mirror = _mirror()
    records = K.make_records(seed=11, count=300)
    mirror.upsert(TEAM, records[:100])
    changed = {**records[50], K.COST or "": 7.25}
    mirror.upsert(TEAM, [*records[100:], changed], batch=1000)
    rows = mirror.db.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert rows == 300
    assert K.held(mirror, TEAM, changed["id"]) == [K.as_held(changed)]
    expected = [*records[:50], changed, *records[51:]]
    assert mirror.summary(TEAM, ALL) == summarize(expected)


def test_the_same_ids_in_another_team_are_new_there() -> None:
    mirror = _mirror()
    records = K.make_records(seed=12, count=50)
    mirror.upsert(TEAM, records)
    mirror.upsert("TEAMB", records)
    assert mirror.summary("TEAMB", ALL) == mirror.summary(TEAM, ALL) == summarize(records)


def test_bulk_settings_are_restored_afterwards() -> None:
    mirror = _mirror()
    conn = mirror.db.conn
    before = [conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size",)]
    with mirror.bulk():
        assert conn.execute("PRAGMA cache_size").fetchone()[0] != before[0]
        mirror.upsert(TEAM, K.make_records(seed=13, count=20))
    assert [conn.execute("PRAGMA cache_size").fetchone()[0]] == before


def _by_group(rows: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {row[:4]: row[4:] for row in rows}


def test_column_wise_rollups_equal_the_row_loop() -> None:
    mirror = _mirror()
    records = K.make_records(seed=14, count=1500)
    records[3] = {**records[3], K.DURATION or "": 1234.75}  # a float duration truncates
    mirror.upsert(TEAM, records)
    lo, hi = mirror.db.conn.execute("SELECT MIN(t), MAX(t) + 1 FROM records").fetchone()
    start = R.floor_hour(lo)
    fast = R._aggregate(mirror.db, TEAM, start, hi)
    rows = mirror.db.conn.execute(
        f"SELECT t, {C.DURATION}, {C.COST}, {C.IMAGES}, {C.REQUESTED}, {C.IS_ERROR},"
        f" {', '.join(R._DIM_COLUMNS)} FROM records"
    ).fetchall()
    slow = R._aggregate_rows(TEAM, rows)
    assert len(fast) == len(slow) > 100
    assert _by_group(fast) == _by_group(slow)


def test_values_past_64_bits_fall_back_to_the_row_loop() -> None:
    rows = [(0, 2**70, 1.0, 1, 1, 0, *(["x"] * len(R.DIMS)))]
    with pytest.raises(cubes.Unsupported):
        cubes.cube_rows(TEAM, (R.TOTAL, *R.DIMS), R.HOUR, rows)
