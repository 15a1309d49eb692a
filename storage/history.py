"""Backtest history from the mirror: a rule's span summed per (bucket, group) by one SQL
GROUP BY over the raw rows, so the work in Python grows with buckets, never records.

The part of a span older than the mirror's history is streamed from the API once, as
rules/streamed.py reads it. Questions off the plan (an alert's top contributors, a filter
the buckets cannot match) are asked of the MirroredSource exactly as a live pass asks
them: milliseconds each, cheaper than summing every contributor over the whole span.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from queue import Empty, SimpleQueue
from typing import Any

from sqlite_utils import Database

from revenium import params as P
from revenium.figures import Summary
from revenium.query import Query, Window
from rules.engine import SourceError
from rules.history import Bucketed, History, Plan
from rules.streamed import records, tally
from rules.sums import Cube, Row
from storage import columns as C
from storage import where as W
from storage.aggregate import SUMS, group_value
from storage.db import ThreadDatabases
from storage.mirror import Mirror
from storage.mirrored import MirroredSource
from storage.txn import read_txn

FETCH_ROWS = 10_000  # result rows converted at a time
READ_TIMEOUT_S = 600.0  # a day of buckets not read by then: the store is stuck
_MICROSECOND = timedelta(microseconds=1)


class MirrorArchive:
    """An Archive over a MirroredSource: any span the mirror holds, at SQL speed."""

    def __init__(self, source: MirroredSource, *, fetch_rows: int = FETCH_ROWS) -> None:
        self.source, self.fetch_rows = source, fetch_rows

    def earliest(self) -> datetime:
        return self.source.clock.now() - self.source.history

    def history(self, plan: Plan | None) -> History:
        if plan is None:
            return self.source
        cube = Cube(plan.buckets)
        cut = plan.first_from(self.earliest())
        if cut > 0:
            cube.add(self._streamed(plan, plan.origin, plan.at(cut)), cut)
        mirror = (
            self.source.mirror_for(Window(plan.at(cut), plan.end)) if cut < plan.buckets else None
        )
        if mirror is None:
            cube.add(self._streamed(plan, plan.at(cut), plan.end), plan.buckets)
            return Bucketed(plan, {plan.main: cube}, self.source)
        reader = Reader(plan, self.source.team, cut, self.fetch_rows, cube)
        if isinstance(self.source.dbs, ThreadDatabases):  # a connection per thread
            reader.start(self.source.dbs)
        else:
            reader.read(mirror.db)
        held = Held(mirror, self.source.team, plan.at(cut), plan.end, self.source)
        return Bucketed(plan, {plan.main: cube}, held)

    def _streamed(self, plan: Plan, start: datetime, end: datetime) -> list[Row]:
        """[start, end) read through the source (the API, for windows older than the mirror)."""
        return tally(plan, [plan.main], records(self.source, plan.base, start, end))[plan.main]


class Reader:
    """Fills the plan's main cube from the mirror's raw rows, a day of buckets at a time, in
    one snapshot. `start` reads on a thread of its own while the engine answers the windows
    already read (the scan and the replay share the two cores); `read` reads them all now."""

    def __init__(self, plan: Plan, team: str, first: int, fetch_rows: int, cube: Cube) -> None:
        self.plan, self.team, self.first, self.cube = plan, team, first, cube
        self.fetch_rows = fetch_rows
        self.ready: SimpleQueue[tuple[list[Row], int] | BaseException] = SimpleQueue()

    def read(self, db: Database) -> None:
        self._read(db)
        self._fill(self.plan.buckets)

    def start(self, dbs: ThreadDatabases) -> None:
        def run() -> None:
            try:
                self._read(dbs.get())
            finally:
                dbs.close()

        self.cube.more = self._fill
        threading.Thread(target=run, name="imgmetrics-history", daemon=True).start()

    def _read(self, db: Database) -> None:
        plan, day = self.plan, max(1, timedelta(days=1) // self.plan.step)
        try:
            with read_txn(db):
                for lo in range(self.first, plan.buckets, day):
                    hi = min(plan.buckets, lo + day)
                    rows = bucket_rows(db, self.team, plan, lo, hi, fetch_rows=self.fetch_rows)
                    self.ready.put((list(rows), hi))
        except BaseException as e:  # told to whoever waits for these buckets
            self.ready.put(e)

    def _fill(self, through: int) -> None:
        """Add what was read until buckets [0, through) are held (the cube's `more`)."""
        while self.cube.through < through:
            try:
                found = self.ready.get(timeout=READ_TIMEOUT_S)
            except Empty:
                raise SourceError(f"the mirror gave no rows within {READ_TIMEOUT_S:g} s") from None
            if isinstance(found, sqlite3.Error):  # the mirror's own store: the source failing
                raise SourceError(f"local store: {found}") from found
            if isinstance(found, BaseException):
                raise found
            self.cube.add(*found)


class Held:
    """Questions off the plan: the mirror itself for windows inside [start, end) (checked
    once for the whole span, not again per question), the source for the others."""

    def __init__(
        self, mirror: Mirror, team: str, start: datetime, end: datetime, source: History
    ) -> None:
        self.mirror, self.team, self.start, self.end, self.source = mirror, team, start, end, source

    def summary(self, query: Query) -> Summary:
        if not self._holds(query):
            return self.source.summary(query)
        return self.mirror.summary(self.team, query)

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        if not self._holds(query):
            return self.source.grouped(query, dimension)
        return self.mirror.grouped(self.team, query, dimension)

    def _holds(self, query: Query) -> bool:
        window = query.window
        return window is not None and self.start <= window.start < window.end <= self.end


def bucket_rows(
    db: Database, team: str, plan: Plan, lo: int, hi: int, *, fetch_rows: int = FETCH_ROWS
) -> Iterator[Row]:
    """The plan's main cube over buckets [lo, hi), from the raw rows, `fetch_rows` result
    rows at a time (inside the caller's read transaction)."""
    dims = plan.main
    columns = [C.column(name).name for name in dims]
    span = W.span(C.micros(plan.at(lo)), C.micros(plan.at(hi)))
    where, params = W.join([("team = ?", [team]), *W.filters(plan.base), span])
    keys = ", ".join([f"({C.TIME} - ?) / ?", *columns])
    groups = ", ".join(str(i) for i in range(1, len(columns) + 2))
    sql = f"SELECT {keys}, {', '.join(SUMS)} FROM records WHERE {where} GROUP BY {groups}"
    args = [C.micros(plan.origin), plan.step // _MICROSECOND, *params]
    n = len(dims) + 1
    typed = any(P.param(d).kind is P.Kind.BOOL for d in dims)  # booleans are stored as 0/1
    cursor = db.conn.execute(sql, args)
    while batch := cursor.fetchmany(fetch_rows):
        for row in batch:
            key = row[1:n]
            if typed:
                key = tuple(group_value(d, v) for d, v in zip(dims, key, strict=True))
            yield row[0], key, row[n:]
