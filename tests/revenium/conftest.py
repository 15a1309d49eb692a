"""Fixtures of the sandbox tests: one sandbox per module (some inject faults into it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from revenium.sandbox.core import Sandbox
from tests.fakes.revenium import http_over, seeded
from tests.support.sandbox import END


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = seeded(end=END)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def records(box: Sandbox) -> list[dict[str, Any]]:
    return box.records()


@pytest.fixture(scope="module")
def http(box: Sandbox) -> Iterator[httpx.Client]:
    with http_over(box) as c:
        yield c
