"""The list endpoint's pages, HAL links and sort orders."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from revenium import params as P
from revenium.sandbox.core import MAX_PAGE_SIZE, Sandbox
from tests.fakes.revenium import TEAM, http_over
from tests.support.sandbox import (
    END,
    MODEL,
    all_ids,
    get_list,
    name_of,
    records_of,
    sorted_like_sqlite,
)


def query_of(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def test_default_page_is_20_newest_first(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    body = get_list(http, {}).json()
    assert body["page"] == {"size": 20, "totalElements": 900, "totalPages": 45, "number": 0}
    newest = sorted_like_sqlite(records, [("requestTime", "desc")])[:20]
    assert [r["id"] for r in records_of(body)] == newest


def test_hal_links_on_first_middle_and_last_pages(http: httpx.Client) -> None:
    first = get_list(http, {MODEL: "dall-e-3", P.SIZE: 10}).json()
    pages = first["page"]["totalPages"]
    assert pages > 2
    assert set(first["_links"]) == {"first", "self", "next", "last"}
    assert query_of(first["_links"]["next"]["href"]) == {
        P.TEAM_ID: first_team(first),
        MODEL: "dall-e-3",
        P.PAGE: "1",
        P.SIZE: "10",
    }
    assert query_of(first["_links"]["last"]["href"])[P.PAGE] == str(pages - 1)
    middle = get_list(http, {MODEL: "dall-e-3", P.SIZE: 10, P.PAGE: 1}).json()
    assert set(middle["_links"]) == {"first", "prev", "self", "next", "last"}
    assert query_of(middle["_links"]["prev"]["href"])[P.PAGE] == "0"
    last = get_list(http, {MODEL: "dall-e-3", P.SIZE: 10, P.PAGE: pages - 1}).json()
    assert set(last["_links"]) == {"first", "prev", "self", "last"}
    assert len(records_of(last)) == first["page"]["totalElements"] - 10 * (pages - 1)


def first_team(body: dict[str, Any]) -> str:
    return query_of(body["_links"]["self"]["href"])[P.TEAM_ID]


def test_one_page_has_only_self_and_empty_page_has_no_embedded(http: httpx.Client) -> None:
    single = get_list(http, {P.SIZE: 1000}).json()
    assert set(single["_links"]) == {"self"} and len(records_of(single)) == 900
    beyond = get_list(http, {P.SIZE: 100, P.PAGE: 50}).json()
    assert "_embedded" not in beyond
    assert beyond["page"] == {"size": 100, "totalElements": 900, "totalPages": 9, "number": 50}
    nothing = get_list(http, {MODEL: "no-such-model"}).json()
    assert "_embedded" not in nothing and nothing["page"]["totalElements"] == 0
    assert nothing["page"]["totalPages"] == 0


def test_size_is_capped_and_reported(box: Sandbox, http: httpx.Client) -> None:
    body = get_list(http, {P.SIZE: 5000}).json()
    assert body["page"]["size"] == MAX_PAGE_SIZE == box.max_page_size
    small = Sandbox.seeded(
        seed=1, days=1, per_day=30, end=END, api_key="k", team_id=TEAM, max_page_size=7
    )
    with http_over(small, key="k") as c:
        capped = get_list(c, {P.SIZE: 100}).json()
    assert capped["page"]["size"] == 7 and len(records_of(capped)) == 7
    assert capped["page"]["totalPages"] == 5


@pytest.mark.parametrize(
    "sorts, keys",
    [
        (["totalCost,desc"], [("totalCost", "desc")]),
        (["model"], [("model", "asc")]),
        (["model,DESC", "requestDuration,asc"], [("model", "desc"), ("requestDuration", "asc")]),
        (["provider,model,desc"], [("provider", "desc"), ("model", "desc")]),
        (["traceType,asc"], [("traceType", "asc")]),
        (["billingSkipped,desc", "id,asc"], [("billingSkipped", "desc"), ("id", "asc")]),
        (["requestTime,asc"], [("requestTime", "asc")]),
    ],
)
def test_sort_orders(
    sorts: list[str], keys: list[tuple[str, str]], http: httpx.Client, records: list[dict[str, Any]]
) -> None:
    params = [(P.SORT, s) for s in sorts] + [(P.SIZE, "1000")]
    got = [r["id"] for r in records_of(get_list(http, params).json())]
    assert got == sorted_like_sqlite(records, keys)


def test_paging_is_stable_under_ties(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    """Sorting on a field with many ties still pages without a gap or a repeat."""
    paged: list[str] = []
    for page in range(200):
        body = get_list(http, [(P.SORT, "model"), (P.SIZE, 37), (P.PAGE, page)]).json()
        paged.extend(r["id"] for r in records_of(body))
        if page + 1 >= body["page"]["totalPages"]:
            break
    assert paged == sorted_like_sqlite(records, [("model", "asc")])
    assert len(set(paged)) == len(records)


def test_filters_combine_with_paging(http: httpx.Client, records: list[dict[str, Any]]) -> None:
    got = all_ids(http, {MODEL: "gpt-image-1", name_of("quality"): "HIGH"}, size=3)
    assert set(got) == {
        r["id"] for r in records if r["model"] == "gpt-image-1" and r["quality"] == "high"
    }
    assert got
