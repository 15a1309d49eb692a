"""The local metrics mirror: API records kept in SQLite, answering queries without the API.

Writes: `upsert` by id in bounded batches (or `prepare` on any thread, then `write`),
`set_coverage` after a complete read, `retain` to forget old rows. Reads: `summary`,
`grouped`, `series`, `records`, `get`: inside a covered window, each equals
`revenium.figures` over what the API returns for the query. One Mirror per thread (db.py).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
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
from storage import bodies as B
from storage import columns as C
from storage import coverage
from storage import rollups as R
from storage import where as W
from storage.aggregate import aggregate
from storage.partials import Partial
from storage.txn import read_txn, write_txn

OVERLAP = timedelta(minutes=10)  # re-read before the watermark: rows can arrive late
Order = tuple[tuple[str, Literal["asc", "desc"]], ...]
Prepared = dict[str, tuple[tuple[Any, ...], str | bytes, int]]  # id -> (row, body, dict)
_DEFAULT_ORDER: Order = ((C.REQUEST_TIME, "desc"),)
_INSERT = (
    f"INSERT INTO records ({', '.join(C.ROW_NAMES)}) VALUES ({', '.join('?' * len(C.ROW_NAMES))})"
)

_INSERT_JSON = "INSERT INTO records_json (id, team, at, json, dict) VALUES (?, ?, ?, ?, ?)"

# A load's page cache (KiB, negative) and WAL size between checkpoints (pages): random
# inserts into the id index stay in memory, and the file is synced less often.
_BULK = (("cache_size", -32_768), ("wal_autocheckpoint", 16_384))


class Mirror:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        have = {c.name for c in db["records"].columns}
        missing = [name for name in C.ROW_NAMES if name not in have]
        if missing:
            raise RuntimeError(f"the mirror lacks columns {missing}: add a migration for them")
        B.install(db)

    # -- writing -----------------------------------------------------------------------------

    def upsert(
        self, team_id: str, records: Iterable[Record], *, batch: int = 1000, refresh: bool = True
    ) -> int:
        """Insert or replace records by id, `batch` per transaction; returns how many were read.

        Rollups of the hours touched are rebuilt at the end; a sync that upserts page by
        page can pass refresh=False and call `refresh()` once (reads stay exact meanwhile).
        """
        count = 0
        stream = iter(records)
        packer = B.current(self.db)
        while chunk := list(islice(stream, batch)):
            self.write(team_id, prepare(team_id, chunk, packer))
            count += len(chunk)
        if refresh:
            R.refresh(self.db, team_id)
        return count

    def write(self, team: str, rows: Prepared) -> None:
        """Insert or replace prepared rows (see `prepare`) in one transaction; rollups wait."""
        if not rows:
            return
        table = [row for row, _, _ in rows.values()]
        texts = [(key, team, row[1], body, d) for key, (row, body, d) in rows.items()]
        with write_txn(self.db):
            old = [] if self._insert_new(table, texts) else self._replace(team, table, texts)
            R.mark(self.db, team, [*old, *(row[1] for row in table)])

    def _insert_new(self, rows: list[tuple[Any, ...]], texts: list[tuple[Any, ...]]) -> bool:
        """Insert rows none of whose ids the team has yet (a cold load); False if one existed."""
        conn = self.db.conn
        conn.execute("SAVEPOINT mirror_new")
        try:
            conn.executemany(_INSERT_JSON, texts)  # its key (id, team) refuses a known id
            conn.executemany(_INSERT, rows)
        except sqlite3.IntegrityError:  # an id is already there: undo, and replace instead
            conn.execute("ROLLBACK TO mirror_new")
            conn.execute("RELEASE mirror_new")
            return False
        conn.execute("RELEASE mirror_new")
        return True

    def _replace(
        self, team: str, rows: list[tuple[Any, ...]], texts: list[tuple[Any, ...]]
    ) -> list[int]:
        """Delete these ids' old rows, insert the new ones; returns the old rows' times."""
        conn = self.db.conn
        ids = json.dumps([key for key, *_ in texts])
        old = conn.execute(
            "SELECT at, id FROM records_json WHERE id IN (SELECT value FROM json_each(?))"
            " AND team = ?",
            (ids, team),
        ).fetchall()
        conn.executemany(
            f"DELETE FROM records WHERE team = ? AND {C.TIME} = ? AND id = ?",
            [(team, t, key) for t, key in old],
        )
        conn.executemany(_INSERT_JSON.replace("INSERT", "INSERT OR REPLACE", 1), texts)
        conn.executemany(_INSERT, rows)
        return [t for t, _ in old]

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
            self.db.conn.execute(
                "DELETE FROM records_json WHERE (id, team) IN"
                f" (SELECT id, team FROM records WHERE {C.TIME} < ?)",
                (cut,),
            )
            deleted = self.db.conn.execute(f"DELETE FROM records WHERE {C.TIME} < ?", (cut,))
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
        """Up to when the latest covered span is complete; re-read from it less OVERLAP."""
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
        by, by_params = _order_by(order or query.sort or _DEFAULT_ORDER)
        text = "SELECT j.json, j.dict FROM records r"
        text += " JOIN records_json j ON j.team = r.team AND j.id = r.id"
        text += f" WHERE {sql} ORDER BY {by} LIMIT ? OFFSET ?"
        with read_txn(self.db):
            rows = self.db.conn.execute(text, [*params, *by_params, limit, offset]).fetchall()
        return [json.loads(B.unpack(self.db, body, d)) for body, d in rows]

    def get(self, record_id: str, team_id: str | None = None) -> Record | None:
        sql = "SELECT json, dict FROM records_json WHERE id = ?"
        args: tuple[str, ...] = (record_id,)
        if team_id is not None:
            sql, args = sql + " AND team = ?", (record_id, team_id)
        row = self.db.conn.execute(sql + " LIMIT 1", args).fetchone()
        return None if row is None else json.loads(B.unpack(self.db, row[0], row[1]))


def prepare(team: str, records: Iterable[Record], packer: B.Packer | None = None) -> Prepared:
    """Records as rows and stored bodies, by id (the last copy wins); any thread may."""
    records = list(records)
    return _prepared([C.row(team, r) for r in records], [C.to_json(r) for r in records], packer)


def prepare_json(team: str, texts: Iterable[str], packer: B.Packer | None = None) -> Prepared:
    """`prepare` for records still in the JSON text the API sent, which is what is kept."""
    texts = list(texts)
    return _prepared([C.json_row(team, text) for text in texts], texts, packer)


def _prepared(rows: list[tuple[Any, ...]], texts: list[str], packer: B.Packer | None) -> Prepared:
    bodies, dict_id = (packer or B.Packer()).pack(texts)
    return {row[2]: (row, body, dict_id) for row, body in zip(rows, bodies, strict=True)}


def plain_texts(rows: Prepared) -> list[str]:
    """The bodies of prepared rows kept as plain text (to train a dictionary on)."""
    return [body for _, body, d in rows.values() if d == B.PLAIN and isinstance(body, str)]


def repack(rows: Prepared, packer: B.Packer) -> Prepared:
    """The same rows, their plain bodies compressed by `packer` (once it has learnt)."""
    plain = [key for key, (_, body, d) in rows.items() if d == B.PLAIN and isinstance(body, str)]
    bodies, dict_id = packer.pack([str(rows[key][1]) for key in plain])
    packed = {key: (rows[key][0], body, dict_id) for key, body in zip(plain, bodies, strict=True)}
    return {**rows, **packed}


def _order_by(order: Order) -> tuple[str, list[Any]]:
    parts, params = [], []
    for prop, direction in order:
        if direction not in ("asc", "desc"):
            raise ValueError(f"sort direction must be asc or desc, not {direction!r}")
        if prop == C.REQUEST_TIME:
            expr = f"r.{C.TIME}"
        elif prop in C.BY_PATH:
            expr = f"r.{C.BY_PATH[prop].name}"
        else:
            expr = "json_extract(record_json(j.json, j.dict), ?)"
            params.append("$." + ".".join(json.dumps(step) for step in prop.split(".")))
        parts.append(f"{expr} {direction.upper()}")
    # Ties by id in the last key's direction, as the API (and the sandbox) break them.
    return ", ".join([*parts, f"r.id {order[-1][1].upper()}"]), params


def _time(micros: int | None) -> datetime | None:
    if micros is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
