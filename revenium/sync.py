"""Reading a window of records from the API as fast as the rate ceiling allows.

The window is cut into time slices so no page is ever deep; each slice's page 0
tells how many pages follow, and those are fetched concurrently, all under the
client's shared token bucket. Pages go to a sink as they arrive (streaming, so
memory is bounded by the pages in flight, not the window).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import timedelta

from revenium.client import Page, RevClient
from revenium.query import Query, Window
from revenium.records import Record

SLICE = timedelta(days=1)
PAGE_SIZE = 1000  # asked for; the server's `page.size` says what it honoured
CONCURRENCY = 16

Sink = Callable[[list[Record]], None]
Progress = Callable[[int, int], None]  # (records so far, records expected so far)


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
    sink: Sink,
    *,
    query: Query | None = None,
    page_size: int = PAGE_SIZE,
    concurrency: int = CONCURRENCY,
    slice_length: timedelta = SLICE,
    progress: Progress | None = None,
) -> SyncStats:
    """Every record of `window` (and `query`'s filters) into `sink`; raises if any page fails."""
    base = replace(query or Query(), sort=(("requestTime", "asc"),), strict=())
    stats = SyncStats()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="sync") as pool:
        pending: dict[Future[Page], Query] = {}
        for part in slices(window, slice_length):
            q = base.with_window(part)
            pending[pool.submit(client.page, q, 0, page_size)] = q
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    q = pending.pop(future)
                    page = future.result()
                    stats.requests += 1
                    stats.records += len(page.records)
                    sink(page.records)
                    if page.number == 0:
                        stats.expected += page.total_elements
                        for n in range(1, page.total_pages):
                            pending[pool.submit(client.page, q, n, page.size)] = q
                    if progress is not None:
                        progress(stats.records, stats.expected)
        except BaseException:
            for future in pending:
                future.cancel()  # a failed page fails the sync: stop reading the rest
            raise
    return stats
