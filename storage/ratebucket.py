"""One Revenium rate bucket for every process on a database: a token-bucket row, so that
`serve`, `tick` and `sync` together stay under the account's 100 requests/second.

The row lives in its own small file beside the database (`imgmetrics.db-bucket`): a mirror
sync's long write transactions must never hold up another process's requests. A process
reserves `batch` tokens per transaction (BEGIN IMMEDIATE) and spends them itself, so the
file is written once per `batch` requests; a reservation may go into debt, and its tokens
are spent only once due, as in revenium/ratelimit.py's TokenBucket.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from revenium.ratelimit import DEFAULT_RATE
from storage.db import BUSY_TIMEOUT_MS, create_private

BATCH = 5  # tokens per reservation: 20 small transactions a second at the full rate
NAME = "revenium"


def bucket_path(db_path: str | Path) -> Path:
    return Path(f"{db_path}-bucket")


class SharedBucket:
    """`rate` tokens a second for all its users together, holding at most `burst`."""

    def __init__(
        self,
        path: str | Path,
        rate: float = DEFAULT_RATE,
        *,
        burst: float | None = None,
        batch: int = BATCH,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or batch < 1:
            raise ValueError("rate must be positive and batch at least 1")
        self.rate, self.batch = float(rate), batch
        self.burst = float(burst) if burst is not None else max(float(batch), self.rate / 10)
        self._wall, self._sleep = wall, sleep
        self._lock = threading.Lock()
        self._left = 0.0  # tokens reserved and not yet spent by this process
        self._due = 0.0  # wall-clock time from which they may be spent
        self._conn = _connect(Path(path))
        weakref.finalize(self, self._conn.close)  # a bucket lives as long as its clients

    def acquire(self, n: float = 1) -> float:
        """Take `n` tokens, sleeping until they are due; returns the time slept (seconds)."""
        if n <= 0:
            raise ValueError("acquire needs a positive number of tokens")
        with self._lock:
            if self._left < n:
                take = max(float(self.batch), n - self._left)
                self._due = self._reserve(take)
                self._left += take
            self._left -= n
            wait = max(0.0, self._due - self._wall())
        if wait > 0:
            self._sleep(wait)
        return wait

    def _reserve(self, n: float) -> float:
        """Take `n` tokens from the shared row; returns when the last of them is due."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = self._wall()
            row = conn.execute(
                "SELECT tokens, stamp FROM rate_bucket WHERE name = ?", (NAME,)
            ).fetchone()
            tokens, stamp = row if row is not None else (self.burst, now)
            # A clock that stepped back refills nothing; the stamp then restarts from now.
            tokens = min(self.burst, tokens + max(0.0, now - stamp) * self.rate) - n
            conn.execute(
                "INSERT INTO rate_bucket (name, tokens, stamp) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET tokens = excluded.tokens,"
                " stamp = excluded.stamp",
                (NAME, tokens, now),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return now + max(0.0, -tokens / self.rate)

    def __repr__(self) -> str:
        return f"SharedBucket(rate={self.rate:g}, burst={self.burst:g}, batch={self.batch})"


def _connect(path: Path) -> sqlite3.Connection:
    create_private(path)
    # One connection for the process's threads, always used under SharedBucket's lock.
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS rate_bucket"
        " (name TEXT PRIMARY KEY, tokens REAL NOT NULL, stamp REAL NOT NULL)"
    )
    return conn
