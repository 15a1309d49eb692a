"""Every Prometheus metric the process exports (prometheus_client, its default registry), and
the observer that counts Revenium's requests (revenium.client.Observer).

Label values come from closed sets only: verbs, outcomes, methods, states, HTTP statuses.
No user text, channel, rule name or secret is ever a label.
"""

from __future__ import annotations

import math
import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from bot.errors import Failure
from bot.reply import Reply
from revenium.observe import Exchange, WaitReason

__all__ = ["CONTENT_TYPE_LATEST", "exposition"]

_FAST = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

COMMANDS = Counter(
    "imgmetrics_commands", "Commands and button clicks answered", ["verb", "outcome"]
)
ANSWER_SECONDS = Histogram(
    "imgmetrics_answer_seconds", "From the ack to the answer delivered", ["verb"], buckets=_FAST
)
REVENIUM_REQUESTS = Counter(
    "imgmetrics_revenium_requests", "Revenium API requests by answer", ["endpoint", "status"]
)
REVENIUM_SECONDS = Histogram(
    "imgmetrics_revenium_request_seconds", "Revenium API request latency", ["endpoint"]
)
REVENIUM_RATE_LIMITED = Counter(
    "imgmetrics_revenium_rate_limited", "Revenium answers 429 Too Many Requests"
)
REVENIUM_WAIT_SECONDS = Counter(
    "imgmetrics_revenium_wait_seconds",
    "Time spent waiting before Revenium requests",
    ["reason"],  # bucket: the shared rate bucket; retry: back-off or Retry-After
)
SYNC_RECORDS = Counter("imgmetrics_mirror_synced_records", "Records read into the mirror")
SYNCS = Counter("imgmetrics_mirror_syncs", "Syncs of the mirror", ["outcome"])
MIRROR_LAG = Gauge("imgmetrics_mirror_lag_seconds", "Seconds since this process last synced")
PASSES = Counter(
    "imgmetrics_scheduler_passes",
    "Scheduler passes",
    ["outcome"],  # leader, standby (another process holds the lease), failed
)
PASS_SECONDS = Histogram(
    "imgmetrics_scheduler_pass_seconds",
    "Duration of a scheduler pass",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
LAST_PASS = Gauge(
    "imgmetrics_scheduler_last_success_timestamp_seconds", "When the last pass completed"
)
EVALUATIONS = Counter("imgmetrics_evaluations", "Rule group evaluations by new state", ["state"])
OUTBOX_DEPTH = Gauge("imgmetrics_outbox_depth", "Messages not yet sent nor given up")
OUTBOX_OLDEST = Gauge("imgmetrics_outbox_oldest_seconds", "Age of the oldest unsent message")
SLACK_SENDS = Counter("imgmetrics_slack_sends", "Slack Web API sends", ["method", "outcome"])
DIGESTS = Counter("imgmetrics_digests_posted", "Digests queued for posting")

_last_sync: list[float] = []  # wall-clock time of this process's last completed sync
MIRROR_LAG.set_function(lambda: time.time() - _last_sync[-1] if _last_sync else math.nan)


def outcome(reply: Reply | Failure) -> str:
    """answered, or why not: usage (the text), refused (who asked), failed (a service)."""
    if isinstance(reply, Reply):
        return "answered"
    if reply.refusal:
        return "refused"
    return "usage" if reply.exit_code == 2 else "failed"


def answered(verb: str, how: str, seconds: float) -> None:
    COMMANDS.labels(verb, how).inc()
    ANSWER_SECONDS.labels(verb).observe(seconds)


def synced(records: int, ok: bool) -> None:
    SYNCS.labels("ok" if ok else "failed").inc()
    if ok:
        SYNC_RECORDS.inc(records)
        _last_sync[:] = [time.time()]


def status_label(status: int | None) -> str:
    """An HTTP status as a label: the code itself (a closed set), or `none` without an answer."""
    return "none" if status is None or not 100 <= status <= 599 else str(status)


class ReveniumObserver:
    """Counts every Revenium request and wait (RevClient(observer=...))."""

    def exchanged(self, exchange: Exchange) -> None:
        REVENIUM_REQUESTS.labels(exchange.endpoint, status_label(exchange.status)).inc()
        REVENIUM_SECONDS.labels(exchange.endpoint).observe(exchange.seconds)
        if exchange.status == 429:
            REVENIUM_RATE_LIMITED.inc()

    def waited(self, reason: WaitReason, seconds: float) -> None:
        if seconds > 0:
            REVENIUM_WAIT_SECONDS.labels(reason).inc(seconds)


def exposition() -> bytes:
    """The text format a Prometheus scrape reads."""
    return generate_latest()
