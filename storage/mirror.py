"""The local metrics mirror: API records kept in SQLite, answering queries without the API.

Writes: each read of the API takes a number (`begin_read`), `write`s the rows it got
(insert or replace by time and id) and `sweep`s each span it read completely, which
deletes that span's rows it did not see (moved or gone at the API); `set_coverage` after
a complete read, `retain` to forget old rows. Reads: `summary`, `grouped`, `series`,
`records`, `hour_counts`: inside a covered window, each equals `revenium.figures` over
what the API returns for the query. One Mirror per thread (db.py).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from revenium import params as P
from revenium.buckets import Bucket, bucket_starts
from revenium.clock import Clock, SystemClock
from revenium.figures import Summary
from revenium.query import Query, Window
from revenium.records import Record
from storage import columns as C
from storage import coverage
from storage import rollups as R
from storage import where as W
from storage.aggregate import aggregate
from storage.partials import Partial
from storage.txn import read_txn, write_txn

OVERLAP = timedelta(minutes=10)  # an incremental read starts this far before the watermark
Order = tuple[tuple[str, Literal["asc", "desc"]], ...]
Row = tuple[Any, ...]  # as storage/columns.py:row makes it
_DEFAULT_ORDER: Order = ((C.REQUEST_TIME, "desc"),)
_NAMES = ", ".join(C.ROW_NAMES)
_MARKS = ", ".join("?" * len(C.ROW_NAMES))
_SHOWN = ", ".join(f"r.{c.name}" for c in C.STORED)
_DESCRIBED = ", ".join(c.name for c in C.DESCRIBED)
_ADD_DIM = f"INSERT INTO mirror_dims ({_DESCRIBED}) VALUES ({', '.join('?' * len(C.DESCRIBED))})"

# A load's page cache (KiB, negative) and WAL size between checkpoints (pages): the
# insertion points of a load stay in memory, and the file is synced less often.
_BULK = (("cache_size", -32_768), ("wal_autocheckpoint", 16_384))


class Mirror:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        have = {c.name for c in db["records"].columns}
        missing = [name for name in C.VIEW_NAMES if name not in have]
        if missing:
            raise RuntimeError(f"the mirror lacks columns {missing}: add a migration for them")

    # -- writing -----------------------------------------------------------------------------

    def begin_read(self, team_id: str) -> int:
        """A new number for the rows a read of the API writes (`write`, then `sweep`)."""
        with write_txn(self.db):
            self.db.conn.execute(
                "INSERT INTO mirror_reads (team, reads) VALUES (?, 1)"
                " ON CONFLICT (team) DO UPDATE SET reads = reads + 1",
                (team_id,),
            )
            (number,) = self.db.conn.execute(
                "SELECT reads FROM mirror_reads WHERE team = ?", (team_id,)
            ).fetchone()
        return int(number)

    def write(self, team: str, rows: Sequence[Row], read: int) -> None:
        """Insert rows (`prepare`), a copy of a (time, id) replacing the row held; rollups wait.

        One transaction; the hours touched are marked dirty in it, and what describes each
        row's request (its key, or the values `prepare` found no key for) is found among, or
        added to, mirror_dims."""
        if not rows:
            return
        sql = f"INSERT OR REPLACE INTO record_rows ({_NAMES}, {C.SEEN})"
        sql += f" VALUES ({_MARKS}, {int(read)})"
        known, added = self.dims(), {}
        with write_txn(self.db):
            unkeyed = {row[3] for row in rows if type(row[3]) is tuple}
            for described in unkeyed - known.keys():
                added[described] = self._add_dim(described)
            if unkeyed:
                ids = known | added
                rows = [
                    row if type(row[3]) is int else (*row[:3], ids[row[3]], *row[4:])
                    for row in rows
                ]
            self.db.conn.executemany(sql, rows)
            R.mark_hours(self.db, team, {row[1] // R.HOUR for row in rows})
        if not self.db.conn.in_transaction:  # committed: later writes may use them
            known.update(added)

    def dims(self) -> dict[tuple[Any, ...], int]:
        """What describes a request -> its key in mirror_dims (for `prepare` on any thread)."""
        return _dims(self.db)

    def _add_dim(self, described: tuple[Any, ...]) -> int:
        cursor = self.db.conn.execute(_ADD_DIM, described)
        return int(cursor.lastrowid or 0)

    def sweep(self, team: str, start: datetime, end: datetime, read: int) -> int:
        """Delete the rows of [start, end) that read `read` did not write (call once it read the
        whole span): records that moved out of the span or left the API. Returns how many."""
        sql = f"DELETE FROM record_rows WHERE team = ? AND {C.TIME} >= ? AND {C.TIME} < ?"
        sql += f" AND {C.SEEN} <> ? RETURNING {C.TIME}"
        with write_txn(self.db):
            gone = [t for (t,) in self.db.conn.execute(sql, (team, *_span(start, end), read))]
            R.mark(self.db, team, gone)
        return len(gone)

    def upsert(
        self, team_id: str, records: Iterable[Record], *, batch: int = 1000, refresh: bool = True
    ) -> int:
        """Write records, `batch` per transaction, as one read; returns how many were read.

        Rollups of the hours touched are rebuilt at the end unless refresh=False (call
        `refresh()` later; reads stay exact meanwhile, dirty hours are read raw)."""
        count, read = 0, self.begin_read(team_id)
        stream = iter(records)
        while chunk := list(islice(stream, batch)):
            self.write(team_id, prepare(team_id, chunk), read)
            count += len(chunk)
        if refresh:
            R.refresh(self.db, team_id)
        return count

    def replace(self, team_id: str, window: Window, records: Iterable[Record]) -> int:
        """The records the API lists for `window` become the mirror's rows of it (a re-read)."""
        read = self.begin_read(team_id)
        rows = prepare(team_id, records)
        self.write(team_id, rows, read)
        self.sweep(team_id, window.start, window.end, read)
        R.refresh(self.db, team_id)
        return len(rows)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Settings for a long load: a bigger page cache, fewer WAL checkpoints (then as before)."""
        conn = self.db.conn
        saved = [conn.execute(f"PRAGMA {name}").fetchone()[0] for name, _ in _BULK]
        for name, value in _BULK:
            conn.execute(f"PRAGMA {name} = {value}")
        try:
            yield
        finally:
            for (name, _), value in zip(_BULK, saved, strict=True):
                conn.execute(f"PRAGMA {name} = {int(value)}")

    def refresh(self, team_id: str | None = None) -> int:
        """Rebuild the team's dirty rollup hours (None: every team's), e.g. after `write`s."""
        return R.refresh(self.db, team_id)

    def retain(self, before: datetime) -> int:
        """Delete rows older than `before` (all teams); coverage shrinks to match."""
        cut = C.micros(before)
        with write_txn(self.db):
            deleted = self.db.conn.execute(f"DELETE FROM record_rows WHERE {C.TIME} < ?", (cut,))
            self.db.conn.execute("DELETE FROM mirror_rollups WHERE hour < ?", (R.floor_hour(cut),))
            self.db.conn.execute("DELETE FROM mirror_dirty WHERE hour < ?", (R.floor_hour(cut),))
            if cut % R.HOUR:  # the hour holding `cut` lost some rows: rebuild its rollups
                sql = "SELECT DISTINCT team FROM mirror_rollups WHERE hour = ?"
                for (team,) in self.db.conn.execute(sql, (R.floor_hour(cut),)).fetchall():
                    R.mark(self.db, team, [cut])
            coverage.forget_before(self.db, cut)
        R.refresh(self.db)
        return int(deleted.rowcount)

    # -- coverage ----------------------------------------------------------------------------

    def set_coverage(self, team_id: str, start: datetime, end: datetime) -> None:
        """Declare [start, end) complete for the team (call after a read of it succeeded)."""
        now = C.micros(self.clock.now())
        coverage.add(self.db, team_id, C.micros(start), C.micros(end), now)

    def covers(self, team_id: str, window: Window) -> bool:
        return coverage.covers(self.db, team_id, C.micros(window.start), C.micros(window.end))

    def watermark(self, team_id: str) -> datetime | None:
        """Up to when the latest covered span is complete; read on from it less OVERLAP."""
        return _time(coverage.watermark(self.db, team_id))

    def synced_at(self, team_id: str) -> datetime | None:
        """When coverage was last extended: how fresh a local answer is."""
        return _time(coverage.synced_at(self.db, team_id))

    # -- reading -----------------------------------------------------------------------------

    def summary(self, team_id: str, query: Query) -> Summary:
        return aggregate(self.db, team_id, query, None, None).get((0, None), Partial()).summary()

    def grouped(self, team_id: str, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        """Figures per value of `dimension` (an API parameter name), ordered as figures.group."""
        if P.param(dimension).role is not P.Role.FILTER:
            raise ValueError(f"cannot group by {dimension}")
        parts = aggregate(self.db, team_id, query, None, dimension)
        rows = [(value, partial.summary()) for (_, value), partial in parts.items()]
        rows.sort(key=lambda row: (-row[1].cost, str(row[0])))
        return rows

    def series(
        self, team_id: str, query: Query, bucket: Bucket, tz: str
    ) -> list[tuple[datetime, Summary]]:
        """Figures per local hour or day of the window (empty ones included), DST-correct."""
        if query.window is None:
            raise ValueError("a series needs a window")
        starts = bucket_starts(query.window, bucket, ZoneInfo(tz))
        parts = aggregate(self.db, team_id, query, [C.micros(s) for s in starts], None)
        return [(s, parts.get((i, None), Partial()).summary()) for i, s in enumerate(starts)]

    def records(
        self,
        team_id: str,
        query: Query,
        *,
        limit: int,
        offset: int = 0,
        order: Order | None = None,
    ) -> list[Record]:
        """Matching records, sorted by `order`, else query.sort, else newest first; then by id."""
        clauses = [("r.team = ?", [team_id]), *W.filters(query)]
        if query.window is not None:
            lo, hi = C.micros(query.window.start), C.micros(query.window.end)
            clauses.append(W.span(lo, hi))
        sql, params = W.join(clauses)
        text = f"SELECT r.{C.TIME}, r.id, {_SHOWN} FROM records r"
        text += f" WHERE {sql} ORDER BY {_order_by(order or query.sort or _DEFAULT_ORDER)}"
        with read_txn(self.db):
            rows = self.db.conn.execute(f"{text} LIMIT ? OFFSET ?", [*params, limit, offset])
            return [C.record_of(at, key, values) for at, key, *values in rows]

    def hour_counts(self, team_id: str, window: Window) -> list[tuple[int, int, int]]:
        """(start, end, records) of each UTC hour of `window`, clipped to it (microseconds)."""
        cells = self.series(team_id, Query(window=window), "hour", "UTC")
        ends = [C.micros(s) for s, _ in cells[1:]] + [C.micros(window.end)]
        start = C.micros(window.start)
        return [
            (max(start, C.micros(s)), end, summary.requests)
            for (s, summary), end in zip(cells, ends, strict=True)
        ]


def prepare(team: str, records: Iterable[Record]) -> list[Row]:
    """Records as rows; any thread may."""
    return [C.row(team, r) for r in records]


def prepare_json(
    team: str, texts: Iterable[str], dims: dict[tuple[Any, ...], int] | None = None
) -> list[Row]:
    """`prepare` for records still in the JSON text the API sent (a sync's reading threads),
    with the keys of the `dims` (Mirror.dims) already known: less for the writer to do."""
    rows = [C.json_row(team, text) for text in texts]
    if dims:
        get = dims.get
        rows = [(*r[:3], get(r[3], r[3]), *r[4:]) for r in rows]
    return rows


def _order_by(order: Order) -> str:
    parts = []
    for prop, direction in order:
        if direction not in ("asc", "desc"):
            raise ValueError(f"sort direction must be asc or desc, not {direction!r}")
        if prop == C.REQUEST_TIME:
            expr = f"r.{C.TIME}"
        elif prop == "id":
            expr = "r.id"
        elif prop in C.BY_PATH:
            expr = f"r.{C.BY_PATH[prop].name}"
        else:
            raise ValueError(f"cannot sort by {prop!r}: records have no such field")
        parts.append(f"{expr} {direction.upper()}")
    # Ties by id in the last key's direction, as the API (and the sandbox) break them.
    return ", ".join([*parts, f"r.id {order[-1][1].upper()}"])


def _span(start: datetime, end: datetime) -> tuple[int, int]:
    return C.micros(start), C.micros(end)


def _time(micros: int | None) -> datetime | None:
    return None if micros is None else C.moment(micros)


def _dims(db: Database) -> dict[tuple[Any, ...], int]:
    """What describes a request -> its key in mirror_dims, read once per connection.

    A combination another process added meanwhile is not known here: it is added again
    under a new key, which reads the same. Keys are never deleted (the table stays small)."""
    known = _DIMS.get(db)
    if known is None:
        rows = db.conn.execute(f"SELECT {C.DIM}, {_DESCRIBED} FROM mirror_dims")
        known = _DIMS[db] = {tuple(values): dim for dim, *values in rows}
    return known


_DIMS: weakref.WeakKeyDictionary[Database, dict[tuple[Any, ...], int]] = weakref.WeakKeyDictionary()
