"""Reading windows of records from the API as fast as the rate ceiling allows, and counting them.

Each window is cut into time slices so no page is ever deep; each slice's page 0
tells how many pages follow, and those are fetched concurrently, all under the
client's shared token bucket. Enough pages stay in flight to keep the ceiling busy
when each answer takes a third of a second (latency × rate ≈ 30). Pages go to a sink
as they arrive (streaming, so memory is bounded by the pages in flight, not the
window), and the caller hears when each slice has been read whole.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import orjson

from revenium.client import Page, RevClient
from revenium.query import Query, Window
from revenium.records import Record

SLICE = timedelta(days=1)
PAGE_SIZE = 1000  # asked for; the server's `page.size` says what it honoured
CONCURRENCY = 32  # pages in flight: ~300 ms per answer × 100 requests/s, and a few to spare

Sink = Callable[[Any], None]
Progress = Callable[[int, int], None]  # (records so far, records expected so far)
Prepare = Callable[[list[str]], Any]  # a page's records as JSON text -> what the sink gets
Done = Callable[[Window], None]  # a slice whose every page went to the sink


@dataclass
class SyncStats:
    requests: int = 0
    records: int = 0
    expected: int = 0


def slices(window: Window, length: timedelta = SLICE) -> list[Window]:
    out = []
    start = window.start
    while start < window.end:
        end = min(window.end, start + length)
        out.append(Window(start, end, window.tz, window.label))
        start = end
    return out


@dataclass
class _Slice:
    window: Window
    query: Query
    pages_left: int = 1  # page 0 until it tells how many there are


def sync_window(
    client: RevClient,
    window: Window | Sequence[Window],
    sink: Sink,
    *,
    query: Query | None = None,
    page_size: int = PAGE_SIZE,
    concurrency: int = CONCURRENCY,
    slice_length: timedelta = SLICE,
    progress: Progress | None = None,
    prepare: Prepare | None = None,
    done: Done | None = None,
) -> SyncStats:
    """Every record of the window(s) (and `query`'s filters) into `sink`; raises if a page fails.

    Each page's records, as the JSON text the server sent, pass through `prepare` on the
    worker thread that read them (so that work overlaps the sink's), and the sink receives
    what it returns: by default the records decoded to dicts. `done` hears of each slice
    once all its pages went to the sink.
    """
    base = replace(query or Query(), sort=(("requestTime", "asc"),), strict=())
    windows = [window] if isinstance(window, Window) else list(window)
    parts = [
        _Slice(w, base.with_window(w)) for whole in windows for w in slices(whole, slice_length)
    ]
    todo: deque[tuple[_Slice, int, int]] = deque((part, 0, page_size) for part in parts)
    stats = SyncStats()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sync") as pool:
        running: dict[Future[_Fetched], _Slice] = {}
        try:
            while todo or running:
                # Backpressure: never more pages in flight than workers, so memory holds
                # at most `concurrency` pages however slow the sink is.
                while todo and len(running) < concurrency:
                    part, number, size = todo.popleft()
                    future = pool.submit(_fetch, client, part.query, number, size, prepare)
                    running[future] = part
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    part = running.pop(future)
                    _take(part, future.result(), stats, sink, todo)
                    if part.pages_left == 0 and done is not None:
                        done(part.window)
                    if progress is not None:
                        progress(stats.records, stats.expected)
        except BaseException:
            for future in running:
                future.cancel()  # a failed page fails the sync: stop reading the rest
            raise
    return stats


def _take(part: _Slice, fetched: _Fetched, stats: SyncStats, sink: Sink, todo: deque[Any]) -> None:
    page, count, payload = fetched
    stats.requests += 1
    stats.records += count
    sink(payload)
    part.pages_left -= 1
    if page.number == 0:
        stats.expected += page.total_elements
        later = range(1, page.total_pages)
        part.pages_left += len(later)
        todo.extend((part, n, page.size) for n in later)


def count(client: RevClient, window: Window, query: Query | None = None) -> int:
    """How many records the API lists for the window (one request: a page of one)."""
    return client.page((query or Query()).with_window(window), 0, 1).total_elements


@dataclass
class Reader:
    """A client's reads and counts, as the mirror asks for them (storage/mirrored.py)."""

    client: RevClient
    options: dict[str, Any] = field(default_factory=dict)  # sync_window's keyword options

    @property
    def page_size(self) -> int:
        return int(self.options.get("page_size", PAGE_SIZE))

    def read(self, windows: Sequence[Window], sink: Sink, **how: Any) -> SyncStats:
        return sync_window(self.client, windows, sink, **{**self.options, **how})

    def counts(self, windows: Sequence[Window]) -> list[int]:
        """Each window's count, the requests in flight together."""
        if len(windows) <= 1:
            return [count(self.client, w) for w in windows]
        workers = min(len(windows), self.options.get("concurrency", CONCURRENCY))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="count") as pool:
            return list(pool.map(lambda w: count(self.client, w), windows))


_Fetched = tuple[Page[str], int, Any]  # the page (its records dropped), count, payload


def decode(texts: list[str]) -> list[Record]:
    return [orjson.loads(text) for text in texts]


def _fetch(
    client: RevClient, query: Query, number: int, size: int, prepare: Prepare | None
) -> _Fetched:
    page = client.raw_page(query, number, size)
    payload = (prepare or decode)(page.records)
    return replace(page, records=[]), len(page.records), payload
