"""The scheduler in a long-running process (`serve`, `console`): one pass every ~30 s on
its own thread, so that no acknowledgement ever waits for an evaluation or a post.

Each pass is counted in bot/metrics.py, and the time of the last one that completed is the
dead-man's switch behind `/readyz`. Stopping asks the pass to end between steps (the
outbox stays consistent: each step commits whole), then releases the lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bot import metrics
from bot.alerts.notifier import Notifier
from bot.alerts.tick import PROCESS_ID, PassReport, run_pass
from bot.runtime import Runtime
from storage import outbox as O

log = logging.getLogger(__name__)

PASS_EVERY_S = 30.0
STOP_TIMEOUT_S = 10.0
ALIVE_INTERVALS = 3  # no pass completed in this many intervals: the scheduler is stuck


class SchedulerThread:
    def __init__(
        self,
        rt: Runtime,
        notifier: Notifier,
        *,
        every_s: float = PASS_EVERY_S,
        holder: str = PROCESS_ID,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt, self.notifier, self.every_s, self.holder = rt, notifier, every_s, holder
        self.passes = 0
        self._monotonic = monotonic
        self._last_done = monotonic()  # start-up counts as a pass: the first has 3 intervals
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imgmetrics-scheduler", daemon=True)

    def start(self) -> SchedulerThread:
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Ask the current pass to end between steps; returns at once."""
        self._stop.set()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Finish the current step, release the lease, end the thread; False if it did not
        end within `timeout` (the lease is then released from here)."""
        self._stop.set()
        if self._thread.ident is None:  # never started
            return True
        self._thread.join(timeout=timeout)
        if not self._thread.is_alive():
            return True
        log.warning("the scheduler pass did not stop within %.0f s; releasing its lease", timeout)
        O.release_lease(self.rt.db, self.holder)
        return False

    def alive(self) -> bool:
        """A pass completed within the last ALIVE_INTERVALS intervals (or since start)."""
        return self._monotonic() - self._last_done < ALIVE_INTERVALS * self.every_s

    def _run(self) -> None:
        while not self._stop.is_set():
            self._pass()
            self._stop.wait(self.every_s)
        try:
            O.release_lease(self.rt.db, self.holder)
        finally:
            close = getattr(self.rt.dbs, "close", None)
            if close is not None:
                close()

    def _wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _pass(self) -> None:
        started = self._monotonic()
        try:
            report = run_pass(
                self.rt,
                self.notifier,
                self.rt.clock.now(),
                holder=self.holder,
                sleep=self._wait,
                keep_going=lambda: not self._stop.is_set(),
            )
            _count(report, self.rt, self.rt.clock.now())
        except Exception:  # the thread outlives any one bad pass; the next one retries
            log.exception("scheduler pass failed")
            metrics.PASSES.labels("failed").inc()
        else:
            self._last_done = self._monotonic()
        metrics.PASS_SECONDS.observe(self._monotonic() - started)
        self.passes += 1


def _count(report: PassReport, rt: Runtime, now: datetime) -> None:
    metrics.PASSES.labels("leader" if report.leader else "standby").inc()
    metrics.LAST_PASS.set_to_current_time()
    for state, count in report.states.items():
        metrics.EVALUATIONS.labels(state).inc(count)
    depth, oldest = O.backlog(rt.db)
    metrics.OUTBOX_DEPTH.set(depth)
    metrics.OUTBOX_OLDEST.set(0.0 if oldest is None else (now - oldest).total_seconds())
