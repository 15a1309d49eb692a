"""open_db: a private file in WAL mode with a busy timeout, migrated once and atomically."""

from __future__ import annotations

import gc
import os
import sqlite3
import stat
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.db import BUSY_TIMEOUT_MS, ThreadDatabases, open_db
from storage.migrations import MIGRATIONS, migrate
from storage.mirror import Mirror
from tests.support import mirror as K


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that hides nothing, so only our own mode can make files private."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _schema(db: Database) -> list[tuple[str, str]]:
    sql = "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
    return [(name, text) for name, text in db.conn.execute(sql)]


def test_a_new_file_and_its_wal_are_owner_only(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "state.db"
    db = open_db(path)
    Mirror(db).upsert("T1", K.make_records(seed=1, count=5))
    assert _mode(path) == 0o600
    wal = Path(f"{path}-wal")
    shm = Path(f"{path}-shm")
    assert wal.exists() and shm.exists()
    assert _mode(wal) == 0o600
    assert _mode(shm) == 0o600
    db.close()


def test_an_existing_file_keeps_its_mode(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o640)
    open_db(path).close()
    assert _mode(path) == 0o640


def test_pragmas(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")

    def pragma(name: str) -> Any:
        return db.conn.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
    assert pragma("foreign_keys") == 1
    assert pragma("synchronous") == 1  # NORMAL
    db.close()


def test_in_memory_database_is_migrated() -> None:
    db = open_db(":memory:")
    assert {"record_rows", "mirror_dims", "mirror_reads", "mirror_rollups"} <= set(db.table_names())
    assert db.view_names() == ["records"]
    assert "records_json" not in db.table_names()
    assert [m.name for m in MIGRATIONS.applied(db)] == [m.name for m in MIGRATIONS._migrations]


def test_opening_twice_applies_nothing_new(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = open_db(path)
    schema, applied = _schema(first), MIGRATIONS.applied(first)
    first.close()
    second = open_db(path)
    assert _schema(second) == schema
    assert MIGRATIONS.applied(second) == applied
    assert MIGRATIONS.pending(second) == []
    second.close()


def test_opening_a_migrated_file_takes_no_write_lock(tmp_path: Path) -> None:
    """A busy writer elsewhere must not delay (or time out) opening the file."""
    path = tmp_path / "state.db"
    open_db(path).close()
    writer = sqlite3.connect(path)
    writer.execute("BEGIN IMMEDIATE")
    try:
        db = open_db(path)
        assert db.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0
        db.close()
    finally:
        writer.rollback()
        writer.close()


def _failing_set() -> Migrations:
    steps = Migrations("imgmetrics-test")

    @steps()
    def m001_fine(db: Database) -> None:
        db.execute("CREATE TABLE fine (x INTEGER)")

    @steps()
    def m002_broken(db: Database) -> None:
        db.execute("CREATE TABLE half (x INTEGER)")
        db.execute("INSERT INTO fine VALUES (1)")
        raise RuntimeError("migration bug")

    return steps


def test_a_failing_migration_leaves_nothing_half_written(tmp_path: Path) -> None:
    db = open_db(tmp_path / "state.db")
    before = _schema(db)
    steps = _failing_set()
    with pytest.raises(RuntimeError, match="migration bug"):
        migrate(db, steps)
    assert _schema(db) == before  # neither table, nor the record of m001_fine
    assert steps.applied(db) == []
    assert not db.conn.in_transaction
    db.close()


def test_thread_databases_give_each_thread_its_own_connection(tmp_path: Path) -> None:
    shared = ThreadDatabases(tmp_path / "state.db")
    seen: dict[str, Database] = {}  # held, so no two can share an id()
    errors: list[str] = []

    def work(team: str) -> None:
        try:
            db = shared.get()
            assert shared.get() is db
            seen[team] = db
            Mirror(db).upsert(team, K.make_records(seed=len(team), count=300), batch=50)
            shared.close()
        except BaseException:  # reported below, in the test's thread
            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=work, args=(f"T{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len({id(db) for db in seen.values()}) == 4
    db = open_db(tmp_path / "state.db")
    counts = dict(db.conn.execute("SELECT team, COUNT(*) FROM records GROUP BY team").fetchall())
    assert counts == {f"T{i}": 300 for i in range(4)}
    db.close()


def _count_rows(shared: ThreadDatabases, counts: list[int]) -> None:
    counts.append(shared.get().conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    shared.close()


def test_thread_databases_share_a_scratch_file_for_memory() -> None:
    shared = ThreadDatabases(":memory:")
    Mirror(shared.get()).upsert("T1", K.make_records(seed=2, count=10))
    counts: list[int] = []
    thread = threading.Thread(target=_count_rows, args=(shared, counts))
    thread.start()
    thread.join(timeout=30)
    assert counts == [10]
    assert _mode(shared.path) == 0o600
    scratch = shared.path.parent
    shared.close()
    del shared, thread
    gc.collect()
    assert not scratch.exists()


def test_a_mirror_filled_before_m005_is_emptied_and_read_afresh() -> None:
    """m005 drops the bodies; the mirror is a cache of the API, so it starts over."""
    db = Database(sqlite3.connect(":memory:", isolation_level=None))
    MIGRATIONS.apply(db, stop_before="m005_rows_are_records")
    db.conn.execute("INSERT INTO mirror_coverage VALUES ('T', 0, 10)")
    db.conn.execute("INSERT INTO mirror_sync VALUES ('T', 10)")
    migrate(db)
    assert db.conn.execute("SELECT COUNT(*) FROM mirror_coverage").fetchone()[0] == 0
    assert {"records_json", "mirror_dicts"}.isdisjoint(db.table_names())
    records = K.make_records(seed=5, count=50)
    assert Mirror(db).upsert("T", records) == 50
    assert db.conn.execute("SELECT count(*) FROM records").fetchone()[0] == 50
