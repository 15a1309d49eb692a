"""How fast the mirror answers: load N sandbox records spread over 30 days, then time warm queries.

Run: `.venv/bin/python benchmarks/mirror_bench.py 1000000` (default 200,000 rows).
Prints the load time (upsert + rollup rebuild) and, per query, the best of three runs.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from revenium import params as P  # noqa: E402
from revenium.query import Query, Strict, Window  # noqa: E402
from revenium.records import Record, format_time  # noqa: E402
from revenium.sandbox import schema, seed  # noqa: E402
from storage.db import open_db  # noqa: E402
from storage.mirror import Mirror  # noqa: E402

TEAM = "BENCH1"
END = datetime(2026, 11, 25, tzinfo=UTC)
DAYS = 30


def sandbox(rows: int) -> sqlite3.Connection:
    """The sandbox's table of `rows` realistic records over the 30 days before END."""
    conn = sqlite3.connect(":memory:")
    seed.generate(conn, seed=7, days=DAYS, per_day=-(-rows // DAYS), end=END)
    return conn


def stream(conn: sqlite3.Connection, since: datetime | None = None) -> Iterator[Record]:
    """The sandbox's records (those from `since` on), oldest first, one at a time."""
    sql = f"SELECT {schema.RECORD_JSON} FROM {schema.TABLE} WHERE requestTime >= ? ORDER BY rowid"
    start = format_time(since) if since else ""
    for (text,) in conn.execute(sql, ("/profitstream/v2/api/sources/metrics/ai/images/", start)):
        yield json.loads(text)


def best(fn: Callable[[], Any], runs: int = 3) -> tuple[float, float]:
    """(first run, best run) in seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times[0], min(times)


def queries(mirror: Mirror) -> dict[str, Callable[[], Any]]:
    days30 = Query(window=Window(END - timedelta(days=30), END))
    odd = Window(END - timedelta(days=30, minutes=17), END - timedelta(minutes=3))
    week = Query(window=Window(END - timedelta(days=7), END))
    model = P.param("model").name
    env = P.param("environment").name
    org = P.param("organizationName").name
    cost = P.BY_NAME["totalCostMin"].field or ""
    return {
        "summary 30d": lambda: mirror.summary(TEAM, days30),
        "summary 30d, unaligned edges": lambda: mirror.summary(TEAM, Query(window=odd)),
        "summary 30d model:dall-e-3": lambda: mirror.summary(
            TEAM, days30.with_filter(model, "dall-e-3")
        ),
        "summary 30d model+env (raw rows)": lambda: mirror.summary(
            TEAM, days30.with_filter(model, "dall-e-3").with_filter(env, "production")
        ),
        "summary 30d cost>0.05 (raw rows)": lambda: mirror.summary(
            TEAM, Query(window=days30.window, strict=(Strict(cost, ">", 0.05),))
        ),
        "grouped 30d by model": lambda: mirror.grouped(TEAM, days30, model),
        "grouped 30d by org": lambda: mirror.grouped(TEAM, days30, org),
        "grouped 30d by model, env filter (raw)": lambda: mirror.grouped(
            TEAM, days30.with_filter(env, "production"), model
        ),
        "series 30d by day, America/New_York": lambda: mirror.series(
            TEAM, days30, "day", "America/New_York"
        ),
        "series 7d by hour, UTC": lambda: mirror.series(TEAM, week, "hour", "UTC"),
        "series 7d by hour, Asia/Kolkata (raw)": lambda: mirror.series(
            TEAM, week, "hour", "Asia/Kolkata"
        ),
        "records 30d, newest 50": lambda: mirror.records(TEAM, days30, limit=50),
    }


class Timed:
    """An iterator that counts the time spent producing its items (the sandbox, not the mirror)."""

    def __init__(self, items: Iterator[Record]) -> None:
        self.items, self.spent = items, 0.0

    def __iter__(self) -> Iterator[Record]:
        return self

    def __next__(self) -> Record:
        t0 = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.spent += time.perf_counter() - t0


def load(mirror: Mirror, conn: sqlite3.Connection) -> None:
    """A cold sync of the whole table, then an incremental one (the last sync's overlap)."""
    source = Timed(stream(conn))
    t0 = time.perf_counter()
    loaded = mirror.upsert(TEAM, source, batch=5000)
    mirror.set_coverage(TEAM, END - timedelta(days=DAYS), END)
    took = time.perf_counter() - t0 - source.spent
    print(
        f"cold load of {loaded:,} records (upsert + rollups): {took:.1f} s"
        f" (+{source.spent:.1f} s reading the sandbox)"
    )
    recent = list(stream(conn, since=END - timedelta(minutes=15)))
    t0 = time.perf_counter()
    mirror.upsert(TEAM, recent)
    took = time.perf_counter() - t0
    print(f"incremental sync, last 15 min again ({len(recent):,} records): {took * 1000:.0f} ms")


def main(rows: int = 200_000) -> None:
    t0 = time.perf_counter()
    conn = sandbox(rows)
    print(f"sandbox data generated in {time.perf_counter() - t0:.1f} s (not counted below)")
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        mirror = Mirror(db)
        load(mirror, conn)
        print(f"{'query':42s} {'first':>8s} {'best':>8s}")
        for name, fn in queries(mirror).items():
            first, fastest = best(fn)
            print(f"{name:42s} {first * 1000:7.0f}ms {fastest * 1000:7.0f}ms")
        db.close()
    conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
