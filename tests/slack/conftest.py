"""Fixtures of the Slack edge's tests: the Bolt app as `serve` builds it, over the world."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.bolt import Bolt
from tests.support.world import World


@pytest.fixture
def bolt(world: World) -> Iterator[Bolt]:
    found = Bolt(world)
    yield found
    found.close()
