"""RevClient reads against the sandbox: paging, streaming, strict bounds, names sent, get, me."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest

from revenium import params as P
from revenium.client import Page, RevClient, parse_page, parse_raw_page
from revenium.errors import RecordNotFound
from revenium.query import Query, Strict, Value, Window
from revenium.ratelimit import shared_bucket
from revenium.records import Record, field, parse_time
from revenium.sandbox.core import Sandbox
from tests.fakes.revenium import KEY, TEAM, client_over, seeded
from tests.support import oracle

END = datetime(2025, 3, 10, tzinfo=UTC)  # the client tests' sandbox ends here


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=1e6)
    yield box
    box.close()


def expected_ids(box: Sandbox, client: RevClient, query: Query) -> set[str]:
    params = dict(query.api_params(client.team_id))
    return {r["id"] for r in box.records() if oracle.matches(params, r) and query.accepts(r)}


def test_paging_at_100_reads_exactly_the_sandbox_set(box: Sandbox) -> None:
    client = client_over(box)
    before = box.requests
    ids = [r["id"] for r in client.records(Query())]
    assert len(ids) == len(set(ids)) == box.count() == 1200
    assert set(ids) == expected_ids(box, client, Query())
    assert box.requests - before == math.ceil(1200 / 100)


def test_paging_over_a_window_matches_the_oracle(box: Sandbox) -> None:
    client = client_over(box)
    query = Query(window=Window(END - timedelta(days=2, hours=5), END - timedelta(days=1)))
    ids = [r["id"] for r in client.records(query)]
    assert ids, "the window should hold records"
    assert len(ids) == len(set(ids))
    assert set(ids) == expected_ids(box, client, query)
    assert all(
        query.window and query.window.contains(parse_time(r["requestTime"]))
        for r in box.records()
        if r["id"] in set(ids)
    )


def test_records_streams_lazily_one_page_per_request(box: Sandbox) -> None:
    client = client_over(box)
    before = box.requests
    stream = client.records(Query())
    assert isinstance(stream, Iterator)
    assert box.requests == before, "nothing is fetched before the first record is asked for"
    next(stream)
    assert box.requests - before == 1
    for _ in range(99):
        next(stream)
    assert box.requests - before == 1
    next(stream)
    assert box.requests - before == 2


def test_page_reports_what_the_server_honoured() -> None:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100, max_page_size=50)
    client = client_over(box)
    page = client.page(Query(), 0, 100)
    assert isinstance(page, Page)
    assert (page.number, page.size, len(page.records)) == (0, 50, 50)
    assert (page.total_elements, page.total_pages) == (1200, 24)
    # Page numbers count in the server's size, so streaming still reads everything once.
    ids = [r["id"] for r in client.records(Query())]
    assert len(ids) == len(set(ids)) == 1200


def test_last_page_and_empty_result(box: Sandbox) -> None:
    client = client_over(box)
    last = client.page(Query(), 11)
    assert last.is_last and len(last.records) == 100
    beyond = client.page(Query(), 12)
    assert beyond.records == [] and beyond.is_last
    nothing = Query(filters=((P.param("model").name, "no-such-model"),))
    before = box.requests
    assert list(client.records(nothing)) == []
    assert box.requests - before == 1


def test_strict_bounds_are_dropped_client_side(box: Sandbox) -> None:
    client = client_over(box)
    cost = P.param("totalCostMin")
    costs = sorted({r["totalCost"] for r in box.records() if r["totalCost"]})
    edge = costs[len(costs) // 2]
    query = Query(filters=((cost.name, edge),), strict=(Strict(cost.field or "", ">", edge),))
    sent = dict(query.api_params(TEAM))
    at_edge = {r["id"] for r in box.records() if r["totalCost"] == edge}
    assert at_edge, "some records sit exactly on the bound the API includes"
    got = {r["id"] for r in client.records(query)}
    assert got and not got & at_edge
    assert all(r["totalCost"] > edge for r in client.records(query))
    assert got == {r["id"] for r in box.records() if oracle.matches(sent, r)} - at_edge


def _every_filter_of(record: Record) -> tuple[tuple[str, Value], ...]:
    """A value for every filter parameter that `record` satisfies."""
    out: list[tuple[str, Value]] = []
    for p in P.FILTERS:
        value = field(record, p.field or "")
        if value is None:
            continue
        if p.role is P.Role.MIN:
            out.append((p.name, value - 1 if value >= 1 else 0))
        elif p.role is P.Role.MAX:
            out.append((p.name, value + 1))
        else:
            out.append((p.name, value))
    return tuple(out)


def test_never_sends_a_name_outside_the_table(box: Sandbox) -> None:
    client = client_over(box)
    target = max(box.records(), key=lambda r: len(_every_filter_of(r)))
    when = parse_time(target["requestTime"])
    query = Query(
        filters=_every_filter_of(target),
        window=Window(when - timedelta(hours=1), when + timedelta(hours=1)),
        sort=(("requestTime", "asc"), ("totalCost", "desc")),
    )
    names = {name for name, _ in query.filters}
    assert names == {p.name for p in P.FILTERS}, "the query should use every filter"
    seen: list[httpx.Request] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return box.handle(request)

    client = client_over(box, handler=spy)
    got = [r["id"] for r in client.records(query)]
    assert target["id"] in got
    assert set(got) == expected_ids(box, client, query)
    assert box.unknown_params == []
    sent = {name for request in seen for name, _ in request.url.params.multi_items()}
    assert sent <= set(P.BY_NAME)
    assert {P.TEAM_ID, P.PAGE, P.SIZE, P.SORT, P.START_DATE, P.END_DATE} | names <= sent


def test_every_request_carries_the_key_and_accept_json(box: Sandbox) -> None:
    seen: list[httpx.Request] = []

    def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return box.handle(request)

    client = client_over(box, handler=spy)
    list(client.records(Query()))
    client.get(box.records()[0]["id"])
    client.me()
    assert len(seen) == 14
    assert all(r.headers["x-api-key"] == KEY for r in seen)
    assert all(r.headers["accept"] == "application/json" for r in seen)


def test_get_one_record_and_404(box: Sandbox) -> None:
    client = client_over(box)
    record = box.records()[17]
    got = client.get(record["id"])
    assert got["id"] == record["id"]
    assert {k: v for k, v in got.items() if k != "_links"} == {
        k: v for k, v in record.items() if k != "_links"
    }
    before = box.requests
    with pytest.raises(RecordNotFound, match="no image metric record with id 'zzzzZZZZ'") as caught:
        client.get("zzzzZZZZ")
    assert caught.value.status == 404
    assert box.requests - before == 1
    with pytest.raises(RecordNotFound):
        client.get("a/../b?x=1")  # quoted into one path segment, never a different route


def test_me_names_the_team(box: Sandbox) -> None:
    me = client_over(box).me()
    assert me["defaultTeamId"] == TEAM
    assert [t["id"] for t in me["teams"]] == [TEAM]


def test_clients_share_the_process_bucket_by_default(box: Sandbox) -> None:
    http = httpx.Client(transport=httpx.MockTransport(box.handle))
    one = RevClient(http, base_url="http://x", api_key=KEY, team_id=TEAM)
    two = RevClient(http, base_url="http://y", api_key=KEY, team_id=TEAM)
    assert one.bucket is two.bucket is shared_bucket()
    http.close()


def test_parse_page_reads_the_first_list_whatever_its_key() -> None:
    body = {
        "_embedded": {"links": {}, "anyName": [{"id": "a"}]},
        "page": {"size": 5, "totalElements": 1, "totalPages": 1, "number": 0},
    }
    page = parse_page(body, 0, 100)
    assert [r["id"] for r in page.records] == ["a"] and page.size == 5
    empty = parse_page(
        {"page": {"size": 5, "totalElements": 0, "totalPages": 0, "number": 0}}, 0, 5
    )
    assert empty.records == [] and empty.is_last
    bad: object
    for bad in ([], {"_embedded": []}, {"_embedded": {"x": [1]}}, {"page": {"size": "5"}}):
        with pytest.raises(ValueError):
            parse_page(bad, 0, 5)


def test_a_raw_page_keeps_each_record_as_sent_and_checks_the_envelope_as_parse_page() -> None:
    body = {
        "_embedded": {"links": {}, "anyName": [{"id": "a", "n": [1, {"b": None}]}]},
        "page": {"size": 5, "totalElements": 1, "totalPages": 1, "number": 0},
    }
    content = orjson.dumps(body)
    raw = parse_raw_page(content, 0, 100)
    assert [orjson.loads(r) for r in raw.records] == parse_page(body, 0, 100).records
    assert raw.records[0] in content.decode() and (raw.size, raw.is_last) == (5, True)
    for bad in (b"[]", b'{"_embedded": []}', b'{"_embedded": {"x": [1]}}', b'{"page": 3}', b"{"):
        with pytest.raises(ValueError):
            parse_raw_page(bad, 0, 5)
