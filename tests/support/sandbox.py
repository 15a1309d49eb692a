"""Shared bits of the sandbox tests: a fixed dataset, a client over MockTransport, paging."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from revenium import params as P
from revenium.sandbox.core import LIST_PATH
from tests.fakes.revenium import TEAM

END = datetime(2025, 11, 25, 9, 30, tzinfo=UTC)  # a Tuesday; never the wall clock
EMBEDDED = "aIImageMetricResourceList"


def name_of(path: str) -> str:
    """The API name of the exact-match filter on a record field (tests spell fields, not names)."""
    return next(p.name for p in P.FILTERS if p.field == path and p.role is P.Role.FILTER)


MODEL = name_of("model")


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def get_list(
    http: httpx.Client, params: Mapping[str, Any] | list[tuple[str, Any]]
) -> httpx.Response:
    items = list(params.items()) if isinstance(params, Mapping) else list(params)
    if not any(name == P.TEAM_ID for name, _ in items):
        items.insert(0, (P.TEAM_ID, TEAM))
    return http.get(LIST_PATH, params=items)


def records_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body.get("_embedded", {}).get(EMBEDDED, []))


def all_ids(http: httpx.Client, params: Mapping[str, str], size: int = 1000) -> list[str]:
    """Every id the list endpoint returns for params, page by page (bounded)."""
    out: list[str] = []
    for page in range(100):
        response = get_list(http, {**params, P.PAGE: page, P.SIZE: size})
        assert response.status_code == 200, response.text
        body = response.json()
        out.extend(r["id"] for r in records_of(body))
        if page + 1 >= body["page"]["totalPages"]:
            assert len(out) == body["page"]["totalElements"]
            return out
    raise AssertionError("more than 100 pages")


def sorted_like_sqlite(records: list[dict[str, Any]], keys: list[tuple[str, str]]) -> list[str]:
    """Nulls first ascending (last descending), ties by id in the last key's direction."""
    out = sorted(records, key=lambda r: r["id"], reverse=keys[-1][1] == "desc")
    for prop, direction in reversed(keys):
        out.sort(key=lambda r: (r[prop] is not None, r[prop]), reverse=direction == "desc")
    return [r["id"] for r in out]
