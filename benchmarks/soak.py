"""Soak: `imgmetrics serve` with 1,000 rules ticking, 5 signed commands a second, against the
sandbox (its real 100 requests/s ceiling) with a small rate of injected 500s and 429s.

Run: `make soak` (10 minutes) or `python -m benchmarks.soak --seconds 60`. Prints acks
p50/p99, RSS warm/end, faults injected; tests/test_soak.py runs the 60-second version and
asserts: every command acked < 3 s and answered, no traceback, RSS end within +50 % of warm.
Everything runs on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from benchmarks.ack import percentile
from benchmarks.scheduler_bench import rules
from revenium.sandbox.core import Sandbox
from revenium.sandbox.server import serve
from storage import alerts as A
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, seeded
from tests.fakes.signing import slash_command_body
from tests.fakes.slack import FakeSlack
from tests.support.serving import Served, serve_env, serving

COMMANDS = (
    "summary last 24h",
    "top model 5 last 7d",
    "errors last 24h",
    "summary model:dall-e-3 last 6h by provider",
    "list last 1h",
    "summary last 8w",  # older than the mirror keeps: read from the API, filters pushed down
    "help",
)
RATE = 5.0  # commands a second
FAULT_EVERY = 20  # requests to the sandbox per injected fault: a 5 % fault rate
FRESHNESS_S = "5"  # answers sync the mirror this often: steady traffic to the sandbox
ANSWER_WAIT_S = 60.0  # after the last command, how long the answers may take to arrive
WARM_FRACTION = 0.3  # RSS after this share of the run is the warmed-up value


@dataclass
class SoakReport:
    seconds: float
    sent: int
    answered: int
    acks: list[float]
    slow_acks: int  # acked in 3 s or more, or not with 200
    rss_warm_kb: int
    rss_end_kb: int
    faults: int  # injected and answered to a request
    tracebacks: int
    alerts_posted: int
    counters: dict[str, float]  # from serve's /metrics at the end

    @property
    def rss_growth(self) -> float:
        return self.rss_end_kb / self.rss_warm_kb - 1

    def lines(self) -> list[str]:
        p50, p99 = percentile(self.acks, 0.5), percentile(self.acks, 0.99)
        return [
            f"soak {self.seconds:.0f} s: {self.sent} commands, {self.answered} answered, "
            f"{self.slow_acks} acked late or refused",
            f"acks p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {max(self.acks) * 1000:.0f} ms",
            f"RSS warm {self.rss_warm_kb / 1024:.0f} MiB, end {self.rss_end_kb / 1024:.0f} MiB "
            f"({self.rss_growth:+.0%})",
            f"faults injected {self.faults}; alerts posted {self.alerts_posted}; "
            f"tracebacks {self.tracebacks}",
            "serve's /metrics: " + ", ".join(f"{k} {v:g}" for k, v in self.counters.items()),
        ]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc")


@contextmanager
def world(folder: Path, n_rules: int) -> Iterator[tuple[Sandbox, FakeSlack, Served]]:
    """The sandbox and the fake Slack here, `serve` in its own process over them."""
    box = seeded(end=datetime.now(UTC), seed=3, days=2, per_day=3000, rate_per_s=100)
    db = open_db(folder / "imgmetrics.db")
    for rule in rules(n_rules):
        A.add_rule(db, replace(rule, every=timedelta(minutes=1)), datetime.now(UTC))
    db.close()
    with serve(box) as api, FakeSlack() as slack:
        slack.add_user("U1", "alice")
        env = serve_env(
            api, slack, KEY, TEAM, folder / "imgmetrics.db", IMGMETRICS_FRESHNESS=FRESHNESS_S
        )
        with serving(env, "--pass-every", "10", log=folder / "serve.log") as served:
            yield box, slack, served
    box.close()


def run(seconds: float, n_rules: int = 1000, rate: float = RATE) -> SoakReport:
    folder = Path(tempfile.mkdtemp(prefix="imgmetrics-soak-"))
    with world(folder, n_rules) as (box, slack, served):
        pid = served.process.pid
        faults, stop = [0], threading.Event()
        injector = threading.Thread(target=_inject, args=(box, faults, stop), daemon=True)
        injector.start()
        acks, rss_warm = _drive(served, slack, seconds, rate, pid)
        stop.set()
        injector.join(timeout=5)
        sent = len(acks)
        deadline = time.monotonic() + ANSWER_WAIT_S
        answered = lambda: sum(1 for i in range(sent) if slack.responses(f"s{i}"))  # noqa: E731
        while answered() < sent and time.monotonic() < deadline:
            time.sleep(0.2)
        rss_end = rss_kb(pid)
        counters = _counters(served)
        alerts = sum(len(slack.messages(f"C{i}")) for i in range(7))
        logged = served.logs()
    return SoakReport(
        seconds=seconds,
        sent=sent,
        answered=answered(),
        acks=[a for a in acks if a is not None],
        slow_acks=sum(1 for a in acks if a is None or a >= 3.0),
        rss_warm_kb=rss_warm,
        rss_end_kb=rss_end,
        faults=faults[0] - box.faults_pending,
        tracebacks=logged.count("Traceback"),
        alerts_posted=alerts,
        counters=counters,
    )


def _drive(
    served: Served, slack: FakeSlack, seconds: float, rate: float, pid: int
) -> tuple[list[float | None], int]:
    """`rate` commands a second for `seconds`, each on its own thread so a slow ack never
    delays the next send; the ack times (None: not a 200) and the warmed-up RSS."""
    total = int(seconds * rate)
    warm_at, rss_warm = int(total * WARM_FRACTION), 0
    texts = itertools.cycle(COMMANDS)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = []
        for i in range(total):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            body = slash_command_body(next(texts), "U1", "C1", slack.response_url(f"s{i}"))
            futures.append(pool.submit(_ack, served, body))
            if i == warm_at:
                rss_warm = rss_kb(pid)
        return [f.result() for f in futures], rss_warm


def _ack(served: Served, body: bytes) -> float | None:
    started = time.perf_counter()
    answer = served.post(body)
    return time.perf_counter() - started if answer.status_code == 200 else None


SUMMED = {  # what the report shows of /metrics: each family's samples added up
    "imgmetrics_scheduler_passes_total": "passes",
    "imgmetrics_evaluations_total": "evaluations",
    "imgmetrics_revenium_requests_total": "Revenium requests",
    "imgmetrics_revenium_rate_limited_total": "429s",
    "imgmetrics_slack_sends_total": "Slack sends",
}


def _counters(served: Served) -> dict[str, float]:
    text = served.http.get(served.url + "/metrics").text
    out = dict.fromkeys(SUMMED.values(), 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in SUMMED:
                out[SUMMED[sample.name]] += sample.value
    return out


def _inject(box: Sandbox, faults: list[int], stop: threading.Event) -> None:
    """One 500 or 429 (in turn) per FAULT_EVERY requests, each only once the last was taken."""
    kinds, mark = itertools.cycle(("5xx", "429")), box.requests
    while not stop.wait(0.1):
        if box.faults_pending == 0 and box.requests - mark >= FAULT_EVERY:
            box.inject(next(kinds))
            faults[0] += 1
            mark = box.requests


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    for line in run(args.seconds, args.rules).lines():
        print(line)


if __name__ == "__main__":
    main()
