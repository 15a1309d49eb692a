"""The sandbox's `latency_ms`: each answer held that long, give or take the jitter; and a sync
keeps enough pages in flight that a slow API still reaches the rate ceiling."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from revenium.query import Window
from revenium.sandbox.server import serve
from revenium.sync import CONCURRENCY, sync_window
from tests.fakes.revenium import KEY, TEAM, Sleeps, client_over, http_over, seeded
from tests.support.sandbox import get_list

END = datetime(2025, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("draw", "held"), [(0.0, 0.24), (0.5, 0.3), (0.999_999, 0.36)])
def test_each_answer_is_held_latency_give_or_take_the_jitter(draw: float, held: float) -> None:
    sleeps = Sleeps()
    box = seeded(end=END, days=1, per_day=50, latency_ms=300, sleep=sleeps, rng=lambda: draw)
    for _ in range(3):
        assert get_list(http_over(box), {"size": 10}).status_code == 200
    assert sleeps == pytest.approx([held] * 3, abs=1e-6)


def test_no_latency_no_wait_and_nonsense_is_refused() -> None:
    sleeps = Sleeps()
    box = seeded(end=END, days=1, per_day=5, sleep=sleeps)
    get_list(http_over(box), {})
    assert sleeps == []
    with pytest.raises(ValueError, match="latency_ms"):
        seeded(end=END, days=1, per_day=5, latency_ms=-1)


def test_the_server_holds_answers_side_by_side() -> None:
    box = seeded(end=END, days=1, per_day=50, latency_ms=80, jitter=0.0)
    with serve(box) as server, httpx.Client(headers={"x-api-key": KEY}) as http:
        started = time.perf_counter()
        url = server.url + "/v2/api/sources/metrics/ai/images"
        threads = [
            threading.Thread(target=http.get, args=(url,), kwargs={"params": {"teamId": TEAM}})
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
        took = time.perf_counter() - started
    assert 0.08 <= took < 0.6  # eight answers of 80 ms each, held at once, not one by one


def test_a_sync_keeps_about_latency_times_rate_pages_in_flight() -> None:
    box = seeded(end=END, days=2, per_day=3200)
    lock, flying, most = threading.Lock(), [0], [0]

    def slow(request: httpx.Request) -> httpx.Response:
        with lock:
            flying[0] += 1
            most[0] = max(most[0], flying[0])
        time.sleep(0.1)  # a real wait, so that requests overlap: 100 pages, 32 at a time
        with lock:
            flying[0] -= 1
        return box.handle(request)

    client = client_over(box, handler=slow)
    pages: list[object] = []
    window = Window(END - timedelta(days=2), END)
    stats = sync_window(client, window, pages.append, page_size=64)
    assert stats.records == 6400 and stats.requests <= 102  # two slices, each a partial page
    assert most[0] >= CONCURRENCY * 3 // 4  # memory: at most CONCURRENCY pages at once
    assert most[0] <= CONCURRENCY
