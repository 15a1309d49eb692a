"""MirroredSource: answer from the local mirror, reading from the API only what is missing.

A window inside the mirror's covered span, synced within the freshness limit,
costs zero API requests. Otherwise one sync (coalesced: concurrent askers wait
for the same one) reads on from the watermark less a short overlap up to now, one
hour of the last 48 again (in turn: in-place changes), and then reconciles: where
the API's count of a span differs from the mirror's, that span is read again
(storage/reconcile.py), so late records are in the next answer. Windows older than
the kept history go to the API directly, filters pushed down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlite_utils import Database

from revenium.buckets import Bucket
from revenium.clock import Clock
from revenium.figures import Summary
from revenium.query import Query, Window
from revenium.records import Record
from revenium.source import MetricsSource, Progress
from storage import reconcile
from storage import rollups as R
from storage.columns import micros, moment
from storage.mirror import OVERLAP, Mirror, Row, prepare_json

WRITE_BATCH = 5000  # records per write transaction: fewer commits, bounded memory
HISTORY = timedelta(days=35)  # kept locally: a month back plus a week for baselines
LATE = timedelta(hours=48)  # how late a record may reach the API and still be counted at once
Sink = Callable[[Any], None]
Prepare = Callable[[list[str]], Any]  # a page's records as JSON text -> the sink's payload
Done = Callable[[Window], None]


class Upstream(Protocol):
    """The API as the mirror reads it (revenium.sync.Reader over a client)."""

    @property
    def page_size(self) -> int:
        """Records one request reads."""
        ...

    def read(
        self,
        windows: Sequence[Window],
        sink: Sink,
        *,
        prepare: Prepare | None = None,
        progress: Progress | None = None,
        done: Done | None = None,
    ) -> object:
        """Every record of the windows into `sink`, each page through `prepare` first (on the
        reading threads, overlapping the writes); `done` hears of each span read whole."""
        ...

    def counts(self, windows: Sequence[Window]) -> list[int]:
        """How many records the API lists for each window."""
        ...


class Databases(Protocol):
    def get(self) -> Database: ...


class MirroredSource:
    def __init__(
        self,
        dbs: Databases,
        team_id: str,
        api: Upstream,
        fallback: MetricsSource,
        clock: Clock,
        *,
        freshness: timedelta,
        history: timedelta = HISTORY,
        progress: Progress | None = None,
    ) -> None:
        self.dbs, self.team, self.api, self.fallback = dbs, team_id, api, fallback
        self.clock, self.freshness, self.history = clock, freshness, history
        self.progress = progress  # told how a first, long sync advances (the console)
        self._sync_lock = threading.Lock()
        self._local = threading.local()  # this thread's last answer: live or not; a listener

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
        """One record, always from the API (the mirror keeps no index by id)."""
        self._local.live = True
        return self.fallback.get(record_id)

    def as_of(self) -> datetime | None:
        if getattr(self._local, "live", True):
            return None
        return self._mirror().synced_at(self.team)

    @contextmanager
    def listening(self, progress: Progress) -> Iterator[None]:
        """`progress` hears how a first read advances if this thread's answers need one."""
        self._local.progress = progress
        try:
            yield
        finally:
            self._local.progress = None

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
        self._local.live = window is None or window.start < now - self.history
        if self._local.live:
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
        settled = window.end <= min(mark, now - LATE)  # nothing late is promised for it
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
        """Read on from the watermark (or the whole history when cold), then reconcile."""
        horizon = now - self.history
        mark = mirror.watermark(self.team)
        read = mirror.begin_read(self.team)
        windows: list[Window] = []  # read besides the span from `start`: one hour again
        if since is not None:
            start = now - min(since, self.history)
        elif (
            mark is None
            or mark - OVERLAP <= horizon
            or not mirror.covers(self.team, Window(horizon, mark))
        ):
            start = horizon  # cold, or a gap: read the whole history once
        else:
            start, windows = mark - OVERLAP, [_again(now, read)]
        cold = not windows
        listener = getattr(self._local, "progress", None) or self.progress
        progress = self._counted(listener, Window(start, now)) if cold and listener else None
        self._read(mirror, [Window(start, now), *windows], read, progress)
        mirror.set_coverage(self.team, start, now)
        if not cold:  # what was read just now needs no count; the next read starts before it
            self.reconcile(mirror, Window(horizon, now - OVERLAP))
        mirror.retain(horizon - timedelta(days=1))

    def _counted(self, listener: Progress, window: Window) -> Progress:
        """`listener`, told the read's true total from the start (one request to count it):
        the read itself learns it only once every slice's first page is in."""
        total = self.api.counts([window])[0]
        return lambda done, expected: listener(done, max(expected, total))

    def reconcile(self, mirror: Mirror, window: Window) -> None:
        """Read again each span of `window` whose count at the API differs from the mirror's."""
        cells = mirror.hour_counts(self.team, window)
        counts = lambda spans: self.api.counts(_windows(spans))  # noqa: E731
        spans = reconcile.differing(cells, counts, page=self.api.page_size)
        if spans:
            self._read(mirror, _windows(spans), mirror.begin_read(self.team), None)

    def _read(
        self, mirror: Mirror, windows: list[Window], read: int, progress: Progress | None
    ) -> None:
        """Read windows into the mirror as read number `read`: rows written in batches, each
        slice swept once read whole, rollups rebuilt once at the end."""
        pending: list[Row] = []

        def flush() -> None:
            mirror.write(self.team, pending, read)
            pending.clear()

        def store(rows: list[Row]) -> None:
            pending.extend(rows)
            if len(pending) >= WRITE_BATCH:
                flush()

        def done(part: Window) -> None:
            flush()
            mirror.sweep(self.team, part.start, part.end, read)

        with mirror.bulk():
            prepare = partial(prepare_json, self.team, dims=mirror.dims())
            self.api.read(windows, store, prepare=prepare, progress=progress, done=done)
            flush()
            mirror.refresh(self.team)


def _again(now: datetime, read: int) -> Window:
    """One whole hour of the last LATE, a different one each read: all of them every 48 reads."""
    hours = int(LATE / timedelta(hours=1))
    end = R.floor_hour(micros(now)) - (read % hours) * R.HOUR
    return Window(moment(end - R.HOUR), moment(end))


def _windows(spans: Sequence[tuple[int, int]]) -> list[Window]:
    return [Window(moment(a), moment(b)) for a, b in spans]
