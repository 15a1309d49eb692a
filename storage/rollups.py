"""Hourly rollups beside the raw rows: one cube per common dimension, plus the total.

A rollup row holds one (team, UTC hour, dimension value)'s sums and its durations
as a sorted run, so percentiles stay exact. Any change to an hour's records marks
the hour dirty in the same transaction; `refresh` rebuilds dirty hours from the
raw rows. Readers treat a dirty hour as raw, so a rollup is never read stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from revenium import params as P
from revenium.query import Query
from storage import columns as C
from storage.partials import pack
from storage.txn import write_txn

HOUR = 3_600_000_000  # microseconds
TOTAL = ""  # the cube with no dimension
# Dimensions people group and filter by; each costs one rollup row per value per hour.
DIMS: tuple[str, ...] = tuple(
    P.param(name).name
    for name in (
        "provider",
        "model",
        "agent",
        "organizationName",
        "environment",
        "operationSubtype",
        "errorReason",
    )
)
_DIM_COLUMNS = tuple(C.column(name).name for name in DIMS)
_CHUNK_HOURS = 72  # hours rebuilt per write transaction: bounds how long the lock is held
_READ_HOURS = 24  # hours of raw rows held in memory at once while rebuilding


def cube(query: Query, dimension: str | None) -> str | None:
    """The cube that can answer `query` grouped by `dimension`, or None (read raw rows)."""
    if query.window is None or query.strict:
        return None
    names = {name for name, _ in query.filters}
    if any(P.param(name).role is not P.Role.FILTER for name in names):
        return None
    if dimension is not None:
        names.add(dimension)
    if not names:
        return TOTAL
    only = names.pop()
    return only if not names and only in DIMS else None


def floor_hour(micros: int) -> int:
    return micros - micros % HOUR


def mark(db: Database, team: str, times: Iterable[int]) -> None:
    """Mark the hours holding these record times dirty (call inside the writing transaction)."""
    mark_hours(db, team, {t // HOUR for t in times})


def mark_hours(db: Database, team: str, hours: Iterable[int]) -> None:
    """`mark` for hours counted since the epoch (time // HOUR)."""
    rows = [(team, hour * HOUR) for hour in hours]
    db.conn.executemany("INSERT OR IGNORE INTO mirror_dirty (team, hour) VALUES (?, ?)", rows)


def dirty(db: Database, team: str, start: int, end: int) -> set[int]:
    sql = "SELECT hour FROM mirror_dirty WHERE team = ? AND hour >= ? AND hour < ?"
    return {h for (h,) in db.conn.execute(sql, (team, floor_hour(start), end))}


def refresh(db: Database, team: str | None = None, *, max_rounds: int = 100_000) -> int:
    """Rebuild dirty hours from raw rows, a chunk per transaction; returns hours rebuilt."""
    done = 0
    for _ in range(max_rounds):
        with write_txn(db):
            sql = "SELECT team, hour FROM mirror_dirty WHERE ? IS NULL OR team = ?"
            sql += " ORDER BY team, hour LIMIT ?"
            hours = db.conn.execute(sql, (team, team, _CHUNK_HOURS)).fetchall()
            for owner, start, end in _runs(hours):
                _rebuild(db, owner, start, end)
        done += len(hours)
        if len(hours) < _CHUNK_HOURS:
            break
    return done


def _runs(hours: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Contiguous runs of dirty hours, as (team, start, end)."""
    out: list[tuple[str, int, int]] = []
    for team, hour in hours:
        if out and out[-1][0] == team and out[-1][2] == hour:
            out[-1] = (team, out[-1][1], hour + HOUR)
        else:
            out.append((team, hour, hour + HOUR))
    return out


def _rebuild(db: Database, team: str, start: int, end: int) -> None:
    rows = _aggregate(db, team, start, end)
    for dim in (TOTAL, *DIMS):
        db.conn.execute(
            "DELETE FROM mirror_rollups WHERE team = ? AND dim = ? AND hour >= ? AND hour < ?",
            (team, dim, start, end),
        )
    names = "team, dim, hour, value, value_lc, requests, images, requested, cost, errors,"
    names += " wasted, shortfall, durations"
    db.conn.executemany(
        f"INSERT INTO mirror_rollups ({names}) VALUES ({', '.join('?' * 13)})", rows
    )
    db.conn.execute(
        "DELETE FROM mirror_dirty WHERE team = ? AND hour >= ? AND hour < ?", (team, start, end)
    )


def _aggregate(db: Database, team: str, start: int, end: int) -> list[tuple[Any, ...]]:
    """Rollup rows for [start, end), a day of raw rows at a time (bounded memory)."""
    from storage import cubes  # numpy loads only when rollups are rebuilt

    figures = f"{C.DURATION}, {C.COST}, {C.IMAGES}, {C.REQUESTED}, {C.IS_ERROR}"
    sql = f"SELECT {C.TIME}, {figures}, {', '.join(_DIM_COLUMNS)} FROM records"
    sql += f" WHERE team = ? AND {C.TIME} >= ? AND {C.TIME} < ?"
    out: list[tuple[Any, ...]] = []
    for lo in range(start, end, _READ_HOURS * HOUR):
        rows = db.conn.execute(sql, (team, lo, min(end, lo + _READ_HOURS * HOUR))).fetchall()
        try:
            out.extend(cubes.cube_rows(team, (TOTAL, *DIMS), HOUR, rows))
        except cubes.Unsupported:
            out.extend(_aggregate_rows(team, rows))
    return out


def _aggregate_rows(team: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The same rows, one record at a time: for values numpy cannot hold exactly."""
    acc: dict[tuple[int, int, Any], list[Any]] = {}
    for row in rows:
        hour = floor_hour(row[0])
        duration, cost, images, requested, is_error = row[1:6]
        cost = float(cost or 0.0)
        images, requested = int(images or 0), int(requested or 0)
        shortfall = max(0, requested - images)
        values = (None, *row[6:])
        for i, value in enumerate(values):
            a = acc.get((i, hour, value))
            if a is None:
                a = acc[(i, hour, value)] = [0, 0, 0, 0.0, 0, 0.0, 0, []]
            a[0] += 1
            a[1] += images
            a[2] += requested
            a[3] += cost
            a[4] += is_error
            if is_error:
                a[5] += cost
            a[6] += shortfall
            if duration is not None:
                a[7].append(int(duration))
    dims = (TOTAL, *DIMS)
    return [
        (
            team,
            dims[i],
            hour,
            value,
            value.lower() if isinstance(value, str) else None,
            *a[:7],
            pack(a[7]),
        )
        for (i, hour, value), a in acc.items()
    ]
