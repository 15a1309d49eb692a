"""Backtest history from the mirror: a rule's span summed per (bucket, group) by one SQL
GROUP BY over the raw rows, so the work in Python grows with buckets, never records.

The part of a span older than the mirror's history is streamed from the API once, as
rules/streamed.py reads it. Questions off the plan (an alert's top contributors, a filter
the buckets cannot match) are asked of the MirroredSource exactly as a live pass asks
them: milliseconds each, cheaper than summing every contributor over the whole span.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import chain
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
from storage.mirror import Mirror
from storage.mirrored import MirroredSource
from storage.txn import read_txn

FETCH_ROWS = 10_000  # result rows converted at a time
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
        cut = plan.first_from(self.earliest())
        rows: list[Iterable[Row]] = []
        rest: History = self.source
        if cut > 0:
            rows.append(self._streamed(plan, plan.origin, plan.at(cut)))
        if cut < plan.buckets:
            window = Window(plan.at(cut), plan.end)
            mirror = self.source.mirror_for(window)
            if mirror is None:
                rows.append(self._streamed(plan, window.start, window.end))
            else:
                rows.append(bucket_rows(mirror.db, self.source.team, plan, window, self.fetch_rows))
                rest = Held(mirror, self.source.team, window, self.source)
        try:
            cube = Cube(plan.buckets, chain(*rows))
        except sqlite3.Error as e:  # the mirror's own store: the source failing, as in a pass
            raise SourceError(f"local store: {e}") from e
        return Bucketed(plan, {plan.main: cube}, rest)

    def _streamed(self, plan: Plan, start: datetime, end: datetime) -> list[Row]:
        """[start, end) read through the source (the API, for windows older than the mirror)."""
        return tally(plan, [plan.main], records(self.source, plan.base, start, end))[plan.main]


class Held:
    """Questions off the plan: the mirror itself for windows inside `held` (checked once
    for the whole span, not again per question), the source for the rest."""

    def __init__(self, mirror: Mirror, team: str, held: Window, source: History) -> None:
        self.mirror, self.team, self.held, self.source = mirror, team, held, source

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
        return window is not None and self.held.start <= window.start < window.end <= self.held.end


def bucket_rows(
    db: Database, team: str, plan: Plan, window: Window, fetch_rows: int = FETCH_ROWS
) -> Iterator[Row]:
    """The plan's main cube over `window` (on its grid), from the raw rows in one snapshot,
    `fetch_rows` result rows at a time."""
    dims = plan.main
    columns = [C.column(name).name for name in dims]
    lo, hi = C.micros(window.start), C.micros(window.end)
    where, params = W.join([("team = ?", [team]), *W.filters(plan.base), W.span(lo, hi)])
    keys = ", ".join([f"({C.TIME} - ?) / ?", *columns])
    groups = ", ".join(str(i) for i in range(1, len(columns) + 2))
    sql = f"SELECT {keys}, {', '.join(SUMS)} FROM records WHERE {where} GROUP BY {groups}"
    args = [C.micros(plan.origin), plan.step // _MICROSECOND, *params]
    n = len(dims) + 1
    typed = any(P.param(d).kind is P.Kind.BOOL for d in dims)  # booleans are stored as 0/1
    with read_txn(db):
        cursor = db.conn.execute(sql, args)
        while batch := cursor.fetchmany(fetch_rows):
            for row in batch:
                key = row[1:n]
                if typed:
                    key = tuple(group_value(d, v) for d, v in zip(dims, key, strict=True))
                yield row[0], key, row[n:]
