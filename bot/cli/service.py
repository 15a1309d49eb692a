"""`imgmetrics serve` from start to stop: the start-up checks, the Bolt app, the scheduler
and the servers; then, on SIGTERM or SIGINT, the ordered stop.

The stop, within one grace period (`--grace`, 10 s): /readyz says 503, the current pass is
asked to end between steps, the servers take no new work (requests in progress are
answered), the answers already taken finish, the lease is released, exit 0. Our own
handlers catch the signals, so this holds as PID 1 in a container too.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import Protocol

from slack_bolt import App

from bot.alerts.scheduler import SchedulerThread
from bot.cli.doctor import refuse_unless_ready
from bot.cli.wiring import build_runtime, notifier_for
from bot.config import Settings
from bot.runtime import Runtime
from bot.slack.health import Readiness
from bot.slack.http import asgi_app, health_app
from bot.slack.serve import SocketMode, WebServer, checked_app, serve_http
from bot.slack.workers import Workers
from revenium.clock import SystemClock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mode:
    socket: bool
    host: str
    port: int
    health_port: int | None  # Socket Mode: where /healthz, /readyz and /metrics are served
    scheduler: bool
    every_s: float
    grace_s: float


class Closing(Protocol):
    def close(self, timeout: float) -> bool: ...


def on_signals() -> threading.Event:
    """SIGTERM and SIGINT set the returned Event (installed first: a signal during start-up
    stops cleanly too, and PID 1 has no default handler to die by)."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handle)
    return stop


def serve_until_stopped(settings: Settings, mode: Mode, stop: threading.Event) -> None:
    """Check, start, serve until `stop` is set, then stop in order."""
    refuse_unless_ready(settings, SystemClock())
    runtime = build_runtime(settings, SystemClock())
    workers = Workers()
    app = checked_app(settings, runtime, workers)
    scheduler = None
    if mode.scheduler:
        scheduler = SchedulerThread(runtime, notifier_for(settings), every_s=mode.every_s)
    ready = Readiness(runtime, scheduler)
    servers: list[Closing] = []
    try:
        servers.extend(_servers(app, settings, mode, ready))
        if scheduler is not None:
            scheduler.start()
        stop.wait()
    finally:
        _stop(ready, scheduler, servers, workers, runtime, mode.grace_s)


def _servers(app: App, settings: Settings, mode: Mode, ready: Readiness) -> Iterator[Closing]:
    if not mode.socket:
        yield serve_http(app, asgi_app(app, ready), mode.host, mode.port, grace_s=mode.grace_s)
        return
    yield SocketMode(app, settings)
    if mode.health_port is not None:
        yield WebServer(health_app(ready), mode.host, mode.health_port, grace_s=1).start()


def _stop(
    ready: Readiness,
    scheduler: SchedulerThread | None,
    servers: list[Closing],
    workers: Workers,
    runtime: Runtime,
    grace_s: float,
) -> None:
    deadline = time.monotonic() + grace_s

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    ready.stopping.set()
    if scheduler is not None:
        scheduler.request_stop()
    clean = True
    for server in servers:  # each one closed, whatever the one before said
        clean = server.close(left()) and clean
    clean = workers.shutdown(left()) and clean
    if scheduler is not None:
        clean = scheduler.stop(left()) and clean
    log.info("stopped%s", "" if clean else " (work still running after the grace was dropped)")
    if not clean:
        logging.shutdown()
        os._exit(0)  # threads still running must not hold the exit: the grace is over
    runtime.source.close()
