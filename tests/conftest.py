"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

# slack_sdk ignores NO_PROXY (DESIGN.md §3): with a proxy set, calls to the loopback
# fakes would go to the proxy instead.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
