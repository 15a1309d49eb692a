"""The sandbox over real HTTP on 127.0.0.1: same answers, quiet, closable, slow when told."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from revenium import params as P
from revenium.sandbox.core import LIST_PATH, ME_PATH
from revenium.sandbox.server import SandboxServer, run, serve
from tests.fakes.revenium import KEY, TEAM, empty, seeded
from tests.support.sandbox import END, MODEL, records_of


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with serve(seeded(end=END)) as running:
        yield running


def test_serves_the_api_under_profitstream(server: SandboxServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/profitstream" and server.port > 0
    with httpx.Client(base_url=server.url, headers={"x-api-key": KEY}, timeout=5) as http:
        body = http.get(LIST_PATH, params={P.TEAM_ID: TEAM, MODEL: "sdxl", P.SIZE: 5}).json()
        assert {r["model"] for r in records_of(body)} == {"sdxl"}
        href = records_of(body)[0]["_links"]["self"]["href"]
        assert href.startswith(server.url + LIST_PATH + "/")
        one = http.get(href, params={P.TEAM_ID: TEAM})
        assert one.status_code == 200 and one.json()["id"] == records_of(body)[0]["id"]
        assert http.get(ME_PATH).json()["defaultTeamId"] == TEAM
        refused = http.get(ME_PATH, headers={"x-api-key": "nope"})
        assert refused.status_code == 403 and refused.headers["X-RateLimit-Bucket"] == "analytics"


def test_quiet_on_stderr(server: SandboxServer, capfd: pytest.CaptureFixture[str]) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": KEY}, timeout=5) as http:
        for _ in range(3):
            http.get(LIST_PATH, params={P.TEAM_ID: TEAM})
    assert capfd.readouterr().err == ""


def test_faults_travel_over_the_wire(server: SandboxServer) -> None:
    with httpx.Client(base_url=server.url, headers={"x-api-key": KEY}, timeout=5) as http:
        server.sandbox.inject("malformed")
        broken = http.get(LIST_PATH, params={P.TEAM_ID: TEAM})
        assert broken.status_code == 200
        with pytest.raises(ValueError):
            broken.json()
        server.sandbox.inject("429")
        limited = http.get(LIST_PATH, params={P.TEAM_ID: TEAM})
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"


def test_slow_fault_trips_a_client_timeout(server: SandboxServer) -> None:
    server.sandbox.inject("slow", delay_s=1.0)
    with (
        httpx.Client(base_url=server.url, headers={"x-api-key": KEY}, timeout=0.1) as http,
        pytest.raises(httpx.ReadTimeout),
    ):
        http.get(LIST_PATH, params={P.TEAM_ID: TEAM})


def test_close_frees_the_port() -> None:
    running = serve(empty(rate_per_s=100))
    url = running.url
    running.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + ME_PATH, headers={"x-api-key": KEY}, timeout=2)


def test_run_prints_how_to_connect(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        kwargs={
            "host": "127.0.0.1",
            "port": 0,
            "seed": 1,
            "days": 1,
            "per_day": 10,
            "api_key": KEY,
            "team_id": TEAM,
            "end": END,
            "stop": stop,
        },
        daemon=True,
    )
    thread.start()
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    out = capsys.readouterr().out
    assert "/profitstream" in out and KEY in out and TEAM in out and "10 records" in out
