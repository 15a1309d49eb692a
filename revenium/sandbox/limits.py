"""The sandbox's rate ceiling (a token bucket, like the analytics bucket) and injected faults.

Both run on injected time so tests can drive them without waiting; callers
hold the sandbox's state lock around every method here.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

BUCKET = "analytics"
FAULTS = frozenset({"429", "5xx", "slow", "malformed"})


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds when the bucket is full again
    retry_after: int  # whole seconds, >= 1 when not allowed

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Bucket": BUCKET,
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
            out["X-RateLimit-Limited-Reason"] = "bucket-rate"
        return out


class TokenBucket:
    """`rate` requests per second with a burst of `rate` (at least one)."""

    def __init__(
        self, rate: float, *, monotonic: Callable[[], float], wall: Callable[[], float]
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.tokens = self.capacity
        self._monotonic = monotonic
        self._wall = wall
        self._last = monotonic()

    def _refill(self) -> None:
        now = self._monotonic()
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self._last) * self.rate)
        self._last = now

    def take(self) -> Allowance:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return self._allowance(True)
        return self._allowance(False)

    def peek(self) -> Allowance:
        self._refill()
        return self._allowance(True)

    def _allowance(self, allowed: bool) -> Allowance:
        to_full = (self.capacity - self.tokens) / self.rate
        return Allowance(
            allowed=allowed,
            limit=math.ceil(self.rate),
            remaining=int(self.tokens),
            reset=math.ceil(self._wall() + to_full),
            retry_after=max(1, math.ceil((1 - self.tokens) / self.rate)),
        )


@dataclass(frozen=True)
class Fault:
    kind: str
    delay_s: float = 0.0


class Faults:
    """Queued faults; each list or get request takes the next one."""

    def __init__(self) -> None:
        self._pending: deque[Fault] = deque()

    def inject(self, kind: str, count: int = 1, *, delay_s: float = 0.0) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; choose from {sorted(FAULTS)}")
        if count < 1 or delay_s < 0:
            raise ValueError("count must be >= 1 and delay_s >= 0")
        self._pending.extend(Fault(kind, delay_s) for _ in range(count))

    def take(self) -> Fault | None:
        return self._pending.popleft() if self._pending else None

    def __len__(self) -> int:
        return len(self._pending)
