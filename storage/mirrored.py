"""MirroredSource: answer from the local mirror, reading from the API only what is missing.

A window inside the mirror's covered span, synced within the freshness limit,
costs zero API requests. Otherwise one sync (coalesced: concurrent askers wait
for the same one) extends the mirror from its watermark, less a re-read overlap
for late rows, up to now. Windows older than the kept history go to the API
directly, filters pushed down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlite_utils import Database

from revenium.buckets import Bucket
from revenium.clock import Clock
from revenium.figures import Summary
from revenium.query import Query, Window
from revenium.records import Record
from revenium.source import MetricsSource
from storage import bodies
from storage.mirror import OVERLAP, Mirror, Prepared, plain_texts, prepare_json, repack

WRITE_BATCH = 5000  # records per write transaction: fewer commits, bounded memory
HISTORY = timedelta(days=35)  # kept locally: a month back plus a week for baselines
Sink = Callable[[Any], None]
Prepare = Callable[[list[str]], Any]  # a page's records as JSON text -> the sink's payload
Progress = Callable[[int, int], None]  # (records read so far, records expected so far)


class ReadWindow(Protocol):
    """Reads a window into `sink`, each page through `prepare` first (revenium.sync.sync_window
    bound to a client); preparing on the reading threads overlaps it with the writes."""

    def __call__(
        self,
        window: Window,
        sink: Sink,
        *,
        prepare: Prepare | None = None,
        progress: Progress | None = None,
    ) -> object: ...


class Databases(Protocol):
    def get(self) -> Database: ...


class MirroredSource:
    def __init__(
        self,
        dbs: Databases,
        team_id: str,
        read: ReadWindow,
        fallback: MetricsSource,
        clock: Clock,
        *,
        freshness: timedelta,
        history: timedelta = HISTORY,
        progress: Progress | None = None,
    ) -> None:
        self.dbs, self.team, self.read, self.fallback = dbs, team_id, read, fallback
        self.clock, self.freshness, self.history = clock, freshness, history
        self.progress = progress  # told how a sync advances (the console's first long sync)
        self._sync_lock = threading.Lock()
        self._last = threading.local()  # whether this thread's last answer was read live

    # -- MetricsSource -------------------------------------------------------------------

    def summary(self, query: Query) -> Summary:
        mirror = self._ready(query.window)
        return self.fallback.summary(query) if mirror is None else mirror.summary(self.team, query)

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        mirror = self._ready(query.window)
        if mirror is None:
            return self.fallback.grouped(query, dimension)
        return mirror.grouped(self.team, query, dimension)

    def records(self, query: Query, *, limit: int, offset: int = 0) -> list[Record]:
        mirror = self._ready(query.window)
        if mirror is None:
            return self.fallback.records(query, limit=limit, offset=offset)
        return mirror.records(self.team, query, limit=limit, offset=offset)

    def series(self, query: Query, bucket: Bucket, tz: str) -> list[tuple[datetime, Summary]]:
        mirror = self._ready(query.window)
        if mirror is None:
            return self.fallback.series(query, bucket, tz)
        return mirror.series(self.team, query, bucket, tz)

    def get(self, record_id: str) -> Record:
        found = self._mirror().get(record_id, self.team)
        self._last.live = found is None
        return self.fallback.get(record_id) if found is None else found

    def as_of(self) -> datetime | None:
        if getattr(self._last, "live", True):
            return None
        return self._mirror().synced_at(self.team)

    def close(self) -> None:
        self.fallback.close()

    # -- keeping the mirror current ------------------------------------------------------

    def _mirror(self) -> Mirror:
        return Mirror(self.dbs.get(), self.clock)

    def mirror_for(self, window: Window) -> Mirror | None:
        """The mirror once it can answer `window` (synced first if need be), for readers
        of their own (storage/history.py); None when only the API can."""
        return self._ready(window)

    def _ready(self, window: Window | None) -> Mirror | None:
        """The mirror once it can answer `window`; None when only the API can."""
        now = self.clock.now()
        self._last.live = window is None or window.start < now - self.history
        if self._last.live:
            return None
        assert window is not None
        mirror = self._mirror()
        if not self._answerable(mirror, window, now):
            with self._sync_lock:  # coalesce: who waited here finds the mirror fresh
                if not self._answerable(mirror, window, self.clock.now()):
                    self.sync(mirror, self.clock.now())
        return mirror

    def _answerable(self, mirror: Mirror, window: Window, now: datetime) -> bool:
        mark, synced = mirror.watermark(self.team), mirror.synced_at(self.team)
        if mark is None or synced is None:
            return False
        settled = window.end <= mark - OVERLAP  # nothing late can still arrive for it
        fresh = now - synced <= self.freshness
        end = min(window.end, mark)
        return (
            (settled or fresh)
            and end > window.start
            and mirror.covers(self.team, Window(window.start, end))
        )

    def sync_now(self, since: timedelta | None = None) -> None:
        """Sync at once: [now - since, now) when given, else from the watermark as usual."""
        with self._sync_lock:
            self.sync(self._mirror(), self.clock.now(), since=since)

    def sync(self, mirror: Mirror, now: datetime, *, since: timedelta | None = None) -> None:
        """Read [watermark - overlap, now) (or the whole history when cold) into the mirror."""
        horizon = now - self.history
        mark = mirror.watermark(self.team)
        if since is not None:
            start = now - min(since, self.history)
        elif (
            mark is None
            or mark - OVERLAP <= horizon
            or not mirror.covers(self.team, Window(horizon, mark))
        ):
            start = horizon  # cold, or a gap: read the whole history once
        else:
            start = mark - OVERLAP

        pending: Prepared = {}
        packer = bodies.current(mirror.db)

        def flush() -> None:
            # The first sync's first batch teaches the dictionary everything is compressed with.
            if not packer.trained and packer.learn(mirror.db, plain_texts(pending), now):
                pending.update(repack(pending, packer))
            mirror.write(self.team, pending)
            pending.clear()

        def store(rows: Prepared) -> None:
            pending.update(rows)  # a later copy of an id replaces the earlier one
            if len(pending) >= WRITE_BATCH:
                flush()

        with mirror.bulk():
            prep = partial(prepare_json, self.team, packer=packer)
            self.read(Window(start, now), store, prepare=prep, progress=self.progress)
            flush()
            mirror.refresh(self.team)  # rollups once, at the end
        mirror.set_coverage(self.team, start, now)
        mirror.retain(horizon - timedelta(days=1))
