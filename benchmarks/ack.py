"""Slash-command acknowledgement latency: 50 concurrent signed commands to `imgmetrics serve`.

Measured twice in one run: with a warm mirror, and while a cold sync of the whole
history runs in the same process. Slack wants the ack within 3 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.speed import sandbox_process
from revenium.sandbox import DEFAULT_KEY, DEFAULT_TEAM
from tests.fakes.signing import slash_command_body
from tests.fakes.slack import FakeSlack
from tests.support.serving import Served, serve_env, serving

SandboxUrl = str
SYNC_RAMP_S = 1.0


class _Api:
    """Just what serve_env needs of a sandbox server: its URL."""

    def __init__(self, url: SandboxUrl) -> None:
        self.url = url


def burst(app: Served, slack: FakeSlack, n: int, tag: str) -> list[float]:
    """Send n commands at once; the seconds each took to be acknowledged."""
    bodies = [
        slash_command_body("summary last 7d", "U1", "C1", slack.response_url(f"{tag}{i}"))
        for i in range(n)
    ]

    def send(body: bytes) -> float:
        started = time.perf_counter()
        assert app.post(body).status_code == 200
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(send, bodies))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p * len(ordered) + 0.5) - 1))]


def line(name: str, acks: list[float]) -> str:
    return (
        f"{name}: p50 {percentile(acks, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(acks, 0.99) * 1000:.0f} ms, max {max(acks) * 1000:.0f} ms "
        f"(mean {statistics.mean(acks) * 1000:.0f} ms)"
    )


def run(records: int, n: int = 50) -> dict[str, float]:
    figures: dict[str, float] = {}
    with (
        sandbox_process(records) as url,
        FakeSlack() as slack,
        tempfile.TemporaryDirectory() as scratch,
    ):
        slack.add_user("U1", "alice")
        slack.add_channel("C1", "general")
        env = serve_env(
            _Api(url),
            slack,
            DEFAULT_KEY,
            DEFAULT_TEAM,  # type: ignore[arg-type]
            Path(scratch) / "ack.db",
        )
        with serving(env, "--no-scheduler", log=Path(scratch) / "serve.log") as app:
            app.post(slash_command_body("summary last 30d", "U1", "C1", slack.response_url("s")))
            time.sleep(SYNC_RAMP_S)  # a benchmark may wait: let the cold sync get going
            during = burst(app, slack, n, "cold")
            slack.wait_for(lambda: slack.responses("s"), timeout=600)
            slack.wait_for(lambda: all(slack.responses(f"cold{i}") for i in range(n)), timeout=600)
            warm = burst(app, slack, n, "warm")
            slack.wait_for(lambda: all(slack.responses(f"warm{i}") for i in range(n)), timeout=120)
    print(line(f"ack, {n} concurrent, warm mirror", warm))
    print(line(f"ack, {n} concurrent, during a cold sync of {records:,} records", during))
    print(f"p99 during sync / p99 warm: {percentile(during, 0.99) / percentile(warm, 0.99):.2f}×")
    figures.update(
        warm_p50=percentile(warm, 0.5),
        warm_p99=percentile(warm, 0.99),
        sync_p50=percentile(during, 0.5),
        sync_p99=percentile(during, 0.99),
    )
    return figures
