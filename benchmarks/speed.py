"""Speed goals of issue 7, measured in one run against a sandbox in its own process.

Prints each goal's figure and its ratio: warm summary vs the naive pager, cold sync
throughput vs the rate ceiling (and peak RSS), and requests per warm question.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

import httpx

from revenium.client import RevClient
from revenium.clock import SystemClock
from revenium.figures import summarize
from revenium.query import Query, Window
from revenium.ratelimit import TokenBucket
from revenium.sandbox import DEFAULT_KEY, DEFAULT_TEAM
from revenium.source import ApiSource
from revenium.sync import Reader
from storage.db import ThreadDatabases
from storage.mirrored import MirroredSource

ROOT = Path(__file__).resolve().parents[1]
CEILING = 100.0  # requests per second: the account's analytics bucket


@dataclass
class Counter:
    requests: int = 0

    def hook(self, request: httpx.Request) -> None:
        self.requests += 1


@contextmanager
def sandbox_process(records: int, days: int = 30) -> Iterator[str]:
    """`imgmetrics sandbox` in its own process (its own GIL), at the default 100 req/s."""
    per_day = -(-records // days)
    command = [
        sys.executable,
        "-m",
        "bot.cli",
        "sandbox",
        "--port",
        "0",
        "--days",
        str(days),
        "--per-day",
        str(per_day),
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:  # bounded: the sandbox prints four lines, then serves
            if line.startswith("REVENIUM_API_URL="):
                yield line.split("=", 1)[1].strip()
                break
        else:
            raise RuntimeError("the sandbox exited before serving")
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def client(url: str, counter: Counter, page_size: int = 100) -> RevClient:
    http = httpx.Client(trust_env=False, timeout=60, event_hooks={"request": [counter.hook]})
    return RevClient(
        http,
        base_url=url,
        api_key=DEFAULT_KEY,
        team_id=DEFAULT_TEAM,
        bucket=TokenBucket(CEILING),
        page_size=page_size,
    )


def last_30d() -> Query:
    now = SystemClock().now()
    return Query(window=Window(now - timedelta(days=30), now, "UTC", "last 30 days"))


def timed(work: partial[object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def run(records: int, *, naive: bool = True) -> dict[str, float]:
    """Measure every figure once; returns them (and prints a table)."""
    figures: dict[str, float] = {}
    with sandbox_process(records) as url, tempfile.TemporaryDirectory() as scratch:
        counter = Counter()
        api = client(url, counter)
        mirrored = MirroredSource(
            ThreadDatabases(Path(scratch) / "bench.db"),
            DEFAULT_TEAM,
            Reader(api),
            ApiSource(api),
            SystemClock(),
            freshness=timedelta(minutes=10),
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cold, summary = timed(partial(mirrored.summary, last_30d()))
        figures["cold_sync_s"] = cold
        figures["cold_sync_requests"] = counter.requests
        figures["records"] = summary.requests  # type: ignore[attr-defined]
        figures["cold_records_per_s"] = figures["records"] / cold
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        figures["rss_before_mb"] = rss_before
        warm_requests = counter.requests
        warm, _ = timed(partial(mirrored.summary, last_30d()))
        figures["warm_summary_s"] = warm
        figures["warm_requests"] = counter.requests - warm_requests
        if naive:
            naive_counter = Counter()
            pager = client(url, naive_counter)
            figures["naive_s"], _ = timed(partial(lambda: summarize(pager.records(last_30d()))))
            figures["naive_requests"] = naive_counter.requests
            pager.close()
        api.close()
    report(figures)
    return figures


def report(f: dict[str, float]) -> None:
    ceiling_rate = CEILING * 1000  # records/s at the ceiling with pages of 1,000
    print(f"records: {f['records']:,.0f}")
    print(
        f"cold sync: {f['cold_sync_s']:.2f} s, {f['cold_sync_requests']:.0f} requests, "
        f"{f['cold_records_per_s']:,.0f} records/s = "
        f"{f['cold_records_per_s'] / ceiling_rate:.0%} of the ceiling (goal ≥ 90 %)"
    )
    print(
        f"peak RSS during cold sync: {f['peak_rss_mb']:.0f} MB (goal < 300 MB; "
        f"{f['rss_before_mb']:.0f} MB before it)"
    )
    print(
        f"warm summary last 30d: {f['warm_summary_s'] * 1000:.1f} ms, "
        f"{f['warm_requests']:.0f} API requests (goal 0)"
    )
    if "naive_s" in f:
        print(
            f"naive pager (pages of 100, sequential): {f['naive_s']:.1f} s, "
            f"{f['naive_requests']:.0f} requests"
        )
        print(f"warm vs naive: {f['naive_s'] / f['warm_summary_s']:,.0f}× faster (goal ≥ 200×)")
