"""The scheduler in a long-running process (`serve`, `console`): one pass every ~30 s on
its own thread, so that no acknowledgement ever waits for an evaluation or a post."""

from __future__ import annotations

import logging
import threading

from bot.alerts.notifier import Notifier
from bot.alerts.tick import PROCESS_ID, run_pass
from bot.runtime import Runtime
from storage import outbox as O

log = logging.getLogger(__name__)

PASS_EVERY_S = 30.0
STOP_TIMEOUT_S = 10.0


class SchedulerThread:
    def __init__(
        self,
        rt: Runtime,
        notifier: Notifier,
        *,
        every_s: float = PASS_EVERY_S,
        holder: str = PROCESS_ID,
    ) -> None:
        self.rt, self.notifier, self.every_s, self.holder = rt, notifier, every_s, holder
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imgmetrics-scheduler", daemon=True)

    def start(self) -> SchedulerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Finish the current send, release the lease, and end the thread."""
        self._stop.set()
        self._thread.join(timeout=STOP_TIMEOUT_S)

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
        try:
            run_pass(
                self.rt,
                self.notifier,
                self.rt.clock.now(),
                holder=self.holder,
                sleep=self._wait,
                keep_going=lambda: not self._stop.is_set(),
            )
        except Exception:  # the thread outlives any one bad pass; the next one retries
            log.exception("scheduler pass failed")
        self.passes += 1
