"""Reading a window of records from the API as fast as the rate ceiling allows.

The window is cut into time slices so no page is ever deep; each slice's page 0
tells how many pages follow, and those are fetched concurrently, all under the
client's shared token bucket. Pages go to a sink as they arrive (streaming, so
memory is bounded by the pages in flight, not the window).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import orjson

from revenium.client import Page, RevClient
from revenium.query import Query, Window
from revenium.records import Record

SLICE = timedelta(days=1)
PAGE_SIZE = 1000  # asked for; the server's `page.size` says what it honoured
CONCURRENCY = 8  # pages in flight: enough to keep the ceiling busy; more only adds GIL contention

Sink = Callable[[list[Record]], None]
Progress = Callable[[int, int], None]  # (records so far, records expected so far)
Prepare = Callable[[list[str]], Any]  # a page's records as JSON text -> what the sink gets


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


def sync_window(
    client: RevClient,
    window: Window,
    sink: Callable[[Any], None],
    *,
    query: Query | None = None,
    page_size: int = PAGE_SIZE,
    concurrency: int = CONCURRENCY,
    slice_length: timedelta = SLICE,
    progress: Progress | None = None,
    prepare: Prepare | None = None,
) -> SyncStats:
    """Every record of `window` (and `query`'s filters) into `sink`; raises if any page fails.

    Each page's records, as the JSON text the server sent, pass through `prepare` on the
    worker thread that read them (so that work overlaps the sink's), and the sink receives
    what it returns: by default the records decoded to dicts.
    """
    base = replace(query or Query(), sort=(("requestTime", "asc"),), strict=())
    stats = SyncStats()
    todo: deque[tuple[Query, int, int]] = deque(
        (base.with_window(part), 0, page_size) for part in slices(window, slice_length)
    )
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sync") as pool:
        running: dict[Future[_Fetched], Query] = {}
        try:
            while todo or running:
                # Backpressure: never more pages in flight than workers, so memory holds
                # at most `concurrency` pages however slow the sink is.
                while todo and len(running) < concurrency:
                    q, number, size = todo.popleft()
                    running[pool.submit(_fetch, client, q, number, size, prepare)] = q
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    q = running.pop(future)
                    page, count, payload = future.result()
                    stats.requests += 1
                    stats.records += count
                    sink(payload)
                    if page.number == 0:
                        stats.expected += page.total_elements
                        todo.extend((q, n, page.size) for n in range(1, page.total_pages))
                    if progress is not None:
                        progress(stats.records, stats.expected)
        except BaseException:
            for future in running:
                future.cancel()  # a failed page fails the sync: stop reading the rest
            raise
    return stats


_Fetched = tuple[Page[str], int, Any]  # the page (its records dropped), count, payload


def decode(texts: list[str]) -> list[Record]:
    return [orjson.loads(text) for text in texts]


def _fetch(
    client: RevClient, query: Query, number: int, size: int, prepare: Prepare | None
) -> _Fetched:
    page = client.raw_page(query, number, size)
    payload = (prepare or decode)(page.records)
    return replace(page, records=[]), len(page.records), payload
