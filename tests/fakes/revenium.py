"""The Revenium side of every test: the sandbox (the one factory), and clients over it.

One key and one team for every test. The key is distinctive, so that a leak anywhere —
a log, a reply, an exception — is easy to spot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from revenium.client import RevClient
from revenium.ratelimit import TokenBucket
from revenium.sandbox.core import PREFIX, Sandbox
from revenium.source import ApiSource

KEY = "rk-test-7f3a9c1e5b2d4680"
TEAM = "Tm8xQp2v"
OTHER_TEAM = "Qq7wEe5r"  # hashid-shaped, but not this key's team
BASE = "http://sandbox.test" + PREFIX
UNPACED = 1e9  # the sandbox's rate limit when a test is not about rate limits


def seeded(
    *, end: datetime, seed: int = 11, days: int = 3, per_day: int = 300, **options: Any
) -> Sandbox:
    """A sandbox over generated records ending at `end` (never the wall clock, unless a
    test runs a process that reads it)."""
    options = {"api_key": KEY, "team_id": TEAM, "rate_per_s": UNPACED, **options}
    return Sandbox.seeded(seed=seed, days=days, per_day=per_day, end=end, **options)


def empty(**options: Any) -> Sandbox:
    """A sandbox without records: the test adds the ones it is about."""
    return Sandbox(None, **{"api_key": KEY, "team_id": TEAM, "rate_per_s": UNPACED, **options})


def unlimited() -> TokenBucket:
    return TokenBucket(1e9, burst=1e9)


class Sleeps(list[float]):
    """A sleep function that records how long it was asked to sleep and returns at once."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def http_over(box: Sandbox, *, key: str | None = KEY) -> httpx.Client:
    """Plain HTTP to `box.handle` through httpx.MockTransport, with the key (unless None)."""
    headers = {"x-api-key": key} if key is not None else {}
    return httpx.Client(transport=httpx.MockTransport(box.handle), base_url=BASE, headers=headers)


def client_over(
    box: Sandbox,
    *,
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    sleep: Sleeps | None = None,
    **options: Any,
) -> RevClient:
    """A RevClient talking to `box.handle` (or `handler`) that never waits for real."""
    http = httpx.Client(transport=httpx.MockTransport(handler or box.handle))
    options = {"api_key": KEY, "team_id": TEAM, "bucket": unlimited(), **options}
    return RevClient(http, base_url=BASE, sleep=sleep if sleep is not None else Sleeps(), **options)


def source_over(box: Sandbox) -> ApiSource:
    """The API-backed MetricsSource over `box`: big pages, one attempt, no pacing."""
    return ApiSource(client_over(box, page_size=1000, max_attempts=1))
