"""Client-side pacing: what a bucket does (`Bucket`), a thread-safe in-process token bucket,
and the one bucket a process shares when it has no database to share one through.

Revenium's analytics bucket is 100 requests/second per account, not per key or
connection: processes on one database share storage/ratebucket.py's instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

DEFAULT_RATE = 100.0  # requests per second: the analytics bucket of one account


class Bucket(Protocol):
    def acquire(self, n: float = 1) -> float:
        """Take `n` tokens, sleeping until they are due; returns the time slept (seconds)."""
        ...


class TokenBucket:
    """`rate` tokens per second, holding at most `burst` (default: a tenth of a second's worth).

    `acquire` reserves its tokens under the lock and sleeps outside it, so waiting
    callers are spaced exactly 1/rate apart in arrival order and never spin.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: float | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        # A small burst keeps a fresh process from spending a whole second's budget at once.
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else max(1.0, self.rate / 10)
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._stamp = monotonic()

    def acquire(self, n: float = 1) -> float:
        """Take `n` tokens, sleeping until they are due; returns the time slept (seconds)."""
        if n <= 0:
            raise ValueError("acquire needs a positive number of tokens")
        with self._lock:
            now = self._monotonic()
            elapsed = max(0.0, now - self._stamp)
            self._stamp = now
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
            # Going into debt is the reservation: later callers wait behind it.
            self._tokens -= n
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.rate:g}, burst={self.burst:g})"


_SHARED = TokenBucket(DEFAULT_RATE)


def shared_bucket() -> TokenBucket:
    """The process-wide bucket every RevClient uses unless handed another."""
    return _SHARED
