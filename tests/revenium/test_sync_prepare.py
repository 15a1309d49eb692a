"""sync_window's `prepare`: each page's JSON texts are transformed on the thread that read
them, then sunk."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from revenium.query import Window
from revenium.records import Record, parse_time
from revenium.sync import sync_window
from tests.fakes.revenium import client_over, seeded

END = datetime(2025, 3, 10, tzinfo=UTC)  # the client tests' sandbox ends here


def test_prepare_runs_on_the_reading_threads_and_the_sink_gets_its_result() -> None:
    box = seeded(end=END, seed=7, days=3, per_day=400, rate_per_s=100)
    client = client_over(box)
    caller = threading.get_ident()
    prepared_on: set[int] = set()
    received: list[tuple[int, list[str]]] = []

    def prepare(texts: list[str]) -> tuple[int, list[str]]:
        prepared_on.add(threading.get_ident())
        return len(texts), [orjson.loads(text)["id"] for text in texts]

    def sink(payload: Any) -> None:
        assert threading.get_ident() == caller  # the sink stays on the caller's thread
        received.append(payload)

    window = Window(END - timedelta(days=3), END)
    stats = sync_window(client, window, sink, page_size=150, concurrency=4, prepare=prepare)
    ids = [i for _, chunk in received for i in chunk]
    assert stats.records == sum(n for n, _ in received) == len(ids) == 1200
    assert sorted(ids) == sorted(r["id"] for r in box.records())
    assert caller not in prepared_on and prepared_on


def test_without_prepare_the_sink_gets_records() -> None:
    box = seeded(end=END, seed=7, days=1, per_day=300, rate_per_s=100)
    pages: list[list[Record]] = []
    window = Window(END - timedelta(days=1), END)
    sync_window(client_over(box), window, pages.append, page_size=100, concurrency=2)
    assert sum(len(p) for p in pages) == 300
    assert all(isinstance(r, dict) and "id" in r for p in pages for r in p)


def test_done_hears_of_each_slice_once_after_all_its_pages() -> None:
    box = seeded(end=END, seed=7, days=3, per_day=300, rate_per_s=100)
    sunk: list[int] = []
    heard: list[tuple[Window, int]] = []
    windows = [
        Window(END - timedelta(days=3), END - timedelta(days=1)),
        Window(END, END + timedelta(hours=1)),
    ]
    sync_window(
        client_over(box),
        windows,
        lambda page: sunk.append(len(page)),
        page_size=70,
        concurrency=3,
        slice_length=timedelta(hours=12),
        done=lambda part: heard.append((part, sum(sunk))),
    )
    assert [w for w, _ in sorted(heard, key=lambda h: h[0].start)] == [
        *(
            Window(END - timedelta(hours=72 - 12 * k), END - timedelta(hours=60 - 12 * k))
            for k in range(4)
        ),
        windows[1],  # an empty slice is read whole too (one empty page)
    ]
    inside = [r for r in box.records() if windows[0].contains(parse_time(r["requestTime"]))]
    assert max(n for _, n in heard) == sum(sunk) == len(inside)  # the last heard after all
