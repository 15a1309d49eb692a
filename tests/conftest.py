"""Fixtures every package's tests share. Helpers that are not fixtures live in
tests/support/ (values, record builders, the oracle, the alerting world) and tests/fakes/
(the sandbox factory, the fake Slack, request signing)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.slack import FakeSlack
from tests.support.world import CHANNEL, TS_BASE, World

# slack_sdk ignores NO_PROXY (DESIGN.md §3): with a proxy set, calls to the loopback
# fakes would go to the proxy instead.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """An alerting world: an empty sandbox, a state db file, a fake Slack with #finops and a
    fake clock. A module adds channels or users by overriding it (`world(world)`)."""
    with FakeSlack(ts_base=TS_BASE) as slack:
        slack.add_channel(CHANNEL, "finops")
        yield World(tmp_path, slack)
