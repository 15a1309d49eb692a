"""RevClient's retry policy: 429 after Retry-After, 5xx/timeouts/broken bodies with back-off."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime

import httpx
import pytest

from revenium.client import RevClient, connect
from revenium.errors import RateLimited, Unavailable
from revenium.query import Query
from revenium.ratelimit import TokenBucket
from revenium.sandbox.server import serve
from tests.fakes.revenium import KEY, TEAM, Sleeps, client_over, seeded, unlimited

END = datetime(2025, 3, 10, tzinfo=UTC)  # the client tests' sandbox ends here


def test_429_honours_retry_after() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("429", 2)
    page = client_over(box, sleep=sleeps).page(Query(), 0)
    assert len(page.records) == 100
    assert sleeps == [1.0, 1.0]  # the sandbox's Retry-After, not a back-off
    assert box.requests == 3


def test_429_from_the_servers_own_bucket_waits_it_out() -> None:
    # The client's sleep moves the sandbox's clock: a real conversation with its bucket.
    class Clock(Sleeps):
        now = 0.0

        def __call__(self, seconds: float) -> None:
            super().__call__(seconds)
            self.now += seconds

    sleeps = Clock()
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=5, monotonic=lambda: sleeps.now)
    client = client_over(box, sleep=sleeps, page_size=50)
    ids = [r["id"] for r in client.records(Query())]
    assert len(ids) == len(set(ids)) == 1200
    assert sleeps and all(s == 1.0 for s in sleeps)
    assert box.requests == 24 + len(sleeps)


def test_429_without_retry_after_falls_back_to_backoff() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("429", 2)

    def no_retry_after(request: httpx.Request) -> httpx.Response:
        response = box.handle(request)
        response.headers.pop("Retry-After", None)
        return response

    client = client_over(box, handler=no_retry_after, sleep=sleeps, rng=lambda: 0.5)
    client.page(Query(), 0)
    assert sleeps == [0.25, 0.5]


def test_429_storm_ends_in_rate_limited() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("429", 10)
    with pytest.raises(RateLimited, match="429") as caught:
        client_over(box, sleep=sleeps, max_attempts=4).page(Query(), 0)
    assert caught.value.retryable and caught.value.status == 429
    assert box.requests == 4 and sleeps == [1.0, 1.0, 1.0]


def test_a_long_retry_after_is_not_slept_through() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("429")

    def blocked(request: httpx.Request) -> httpx.Response:
        response = box.handle(request)
        response.headers["Retry-After"] = "3600"
        return response

    with pytest.raises(RateLimited, match="3600 s"):
        client_over(box, handler=blocked, sleep=sleeps).page(Query(), 0)
    assert sleeps == [] and box.requests == 1


def test_5xx_retried_then_succeeds_with_exponential_backoff() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("5xx", 3)
    page = client_over(box, sleep=sleeps, rng=lambda: 1.0).page(Query(), 0)
    assert len(page.records) == 100
    assert sleeps == [0.5, 1.0, 2.0]
    assert box.requests == 4


def test_5xx_storm_exhausts_into_unavailable_with_capped_jittered_backoff() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("5xx", 20)
    client = client_over(box, sleep=sleeps, rng=lambda: 0.5, backoff_cap=1.5)
    with pytest.raises(Unavailable, match="503") as caught:
        client.page(Query(), 0)
    assert caught.value.retryable
    assert box.requests == 6  # max_attempts, and no sleep after the last one
    assert sleeps == [0.25, 0.5, 0.75, 0.75, 0.75]


def test_malformed_body_is_retried() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    box.inject("malformed")
    page = client_over(box, sleep=sleeps).page(Query(), 0)
    assert len(page.records) == 100
    assert box.requests == 2 and len(sleeps) == 1


def test_malformed_bodies_every_time_end_in_unavailable() -> None:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100)
    box.inject("malformed", 3)
    with pytest.raises(Unavailable, match="malformed"):
        client_over(box, max_attempts=3).get(box.records()[0]["id"])
    assert box.requests == 3


def test_every_attempt_takes_a_token() -> None:
    waits: list[float] = []
    bucket = TokenBucket(1, burst=1, monotonic=lambda: 0.0, sleep=waits.append)
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100)
    box.inject("5xx", 2)
    client_over(box, bucket=bucket).page(Query(), 0)
    assert waits == [1.0, 2.0]  # three attempts: one free token, then two paced ones


@pytest.mark.slow
def test_timeout_over_loopback_is_retried_then_succeeds() -> None:
    box = seeded(end=END, seed=7, days=1, per_day=200, rate_per_s=100)
    box.inject("slow", 1, delay_s=0.6)
    sleeps = Sleeps()
    started = time.monotonic()
    with (
        serve(box) as server,
        connect(server.url, KEY, TEAM, timeout=0.2, sleep=sleeps, bucket=unlimited()) as client,
    ):
        page = client.page(Query(), 0)
    assert len(page.records) == 100
    assert box.requests == 2 and len(sleeps) == 1
    assert time.monotonic() - started < 1.0


def test_connection_refused_is_retried_then_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    client = connect(
        f"http://127.0.0.1:{port}/profitstream",
        KEY,
        TEAM,
        timeout=1.0,
        sleep=sleeps,
        bucket=unlimited(),
        max_attempts=3,
    )
    with client, pytest.raises(Unavailable, match="could not reach Revenium") as caught:
        client.me()
    assert len(sleeps) == 2
    assert KEY not in str(caught.value)


def test_connect_ignores_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    box = seeded(end=END, seed=7, days=1, per_day=50, rate_per_s=100)
    with serve(box) as server, connect(server.url, KEY, TEAM, bucket=unlimited()) as client:
        assert isinstance(client, RevClient)
        assert client.me()["defaultTeamId"] == TEAM
