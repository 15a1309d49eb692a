"""What the client tests share: a small seeded sandbox and a RevClient over it that never waits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from revenium.client import RevClient
from revenium.ratelimit import TokenBucket
from revenium.sandbox.core import Sandbox

KEY = "rk-test-7f3a9c1e5b2d4680"  # distinctive, so a leak anywhere is easy to spot
TEAM = "Tm8xQp2v"
OTHER_TEAM = "Qq7wEe5r"  # hashid-shaped, but not this key's team
END = datetime(2025, 3, 10, tzinfo=UTC)
BASE = "http://sandbox.test/profitstream"


def sandbox(*, days: int = 3, per_day: int = 400, **options: Any) -> Sandbox:
    options = {"api_key": KEY, "team_id": TEAM, **options}
    return Sandbox.seeded(seed=7, days=days, per_day=per_day, end=END, **options)


def unlimited() -> TokenBucket:
    return TokenBucket(1e9, burst=1e9)


class Sleeps(list[float]):
    """A sleep function that records how long it was asked to sleep and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_over(
    box: Sandbox,
    *,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    sleep: Sleeps | None = None,
    **options: Any,
) -> RevClient:
    """A RevClient talking to `box.handle` (or `handler`) through httpx.MockTransport."""
    http = httpx.Client(transport=httpx.MockTransport(handler or box.handle))
    options = {"api_key": KEY, "team_id": TEAM, "bucket": unlimited(), **options}
    return RevClient(http, base_url=BASE, sleep=sleep if sleep is not None else Sleeps(), **options)
