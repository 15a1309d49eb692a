"""Fixtures every package's tests share. Helpers that are not fixtures live in
tests/support/ (values, record builders, the oracle, the alerting world) and tests/fakes/
(the sandbox factory, the fake Slack, request signing)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import empty
from tests.fakes.slack import FakeSlack
from tests.support.world import CHANNEL, TS_BASE, World, per_minute

# slack_sdk ignores NO_PROXY (DESIGN.md §3): with a proxy set, calls to the loopback
# fakes would go to the proxy instead.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A command run in-process configures logging for the whole process
    (bot/cli/logs.py): put levels and root handlers back for the next test."""
    root = logging.getLogger()
    handlers, levels = (
        list(root.handlers),
        {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict},
    )
    root_level = root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """An alerting world: an empty sandbox, a state db file, a fake Slack with #finops and a
    fake clock. A module adds channels or users by overriding it (`world(world)`)."""
    with FakeSlack(ts_base=TS_BASE) as slack:
        slack.add_channel(CHANNEL, "finops")
        yield World(tmp_path, slack)


@pytest.fixture
def live_api() -> Iterator[SandboxServer]:
    """The sandbox on loopback with a record a minute ($2 each) over the last two hours of
    real time: for processes that read the system clock (`serve`, `doctor`); a spend rule
    fires on it. `.sandbox` counts its requests."""
    box = empty()
    now = datetime.now(UTC)
    box.add_records(per_minute(now - timedelta(hours=2), now, 2.0))
    with serve(box) as running:
        yield running
    box.close()
