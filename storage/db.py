"""Opening the one SQLite file: owner-only permissions, WAL, busy timeout, migrations.

Threads: a sqlite3 connection belongs to the thread that opened it. Every thread
opens its own `Database` (`ThreadDatabases` does the bookkeeping); WAL lets those
connections read while one of them writes, and the busy timeout queues writers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import migrate

BUSY_TIMEOUT_MS = 5000
MEMORY = ":memory:"


def open_db(path: str | Path) -> Database:
    """A migrated connection to `path` (created 0600 if new), or a fresh in-memory db."""
    with _OPENING:
        return _open(path)


# A process's threads set connections up one at a time: while a new file is not yet in
# WAL mode, two connections setting it up can deadlock, and SQLite then answers one of
# them "database is locked" at once, without waiting out the busy timeout.
_OPENING = threading.Lock()


def _open(path: str | Path) -> Database:
    if str(path) != MEMORY:
        create_private(Path(path))
    db = Database(MEMORY if str(path) == MEMORY else Path(path))
    # Set before anything that may wait for a lock, journal mode included.
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # WAL + NORMAL: a crash of the process loses nothing; only an OS crash or power cut can
    # drop the last commits, never corrupt the file. FULL would fsync every transaction.
    db.execute("PRAGMA synchronous = NORMAL")
    if str(path) != MEMORY:
        db.enable_wal()
    migrate(db)
    return db


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only; an existing file is left as it is.

    SQLite gives the -wal and -shm files it creates the main file's permissions.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


class ThreadDatabases:
    """Hands each thread its own connection to one file, opened on first use.

    ":memory:" cannot be shared between connections, so it stands for a private
    throwaway file here (removed when this object goes), with the same WAL semantics.
    """

    def __init__(self, path: str | Path) -> None:
        if str(path) == MEMORY:
            scratch = tempfile.mkdtemp(prefix="imgmetrics-")
            weakref.finalize(self, shutil.rmtree, scratch, ignore_errors=True)
            path = Path(scratch) / "state.db"
        self.path = Path(path)
        self._local = threading.local()

    def get(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = open_db(self.path)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close the calling thread's connection (each thread closes its own)."""
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
