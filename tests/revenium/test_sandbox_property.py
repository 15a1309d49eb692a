"""Property: for random filter sets, the sandbox returns exactly the oracle's records; and
random sorts page without gaps or repeats in the order a plain sort gives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenium import params as P
from revenium.params import Kind, Param, Role
from revenium.records import field, parse_time
from revenium.sandbox import schema
from revenium.sandbox.core import Sandbox
from tests.fakes.revenium import http_over, seeded
from tests.support import oracle
from tests.support.sandbox import END, all_ids, get_list, records_of, sorted_like_sqlite

BOX: Sandbox = seeded(end=END)
RECORDS: list[dict[str, Any]] = BOX.records()
WINDOW = [p for p in P.PARAMS if p.role is Role.WINDOW]
ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with http_over(BOX) as c:
        yield c


def _present(p: Param) -> list[Any]:
    assert p.field is not None
    return sorted({field(r, p.field) for r in RECORDS} - {None}, key=str)


def value_of(p: Param) -> st.SearchStrategy[str]:
    """Values from the records themselves, case variants, misses and in-bounds ranges."""
    if p.kind is Kind.BOOL:
        return st.sampled_from(["true", "false", "True", "FALSE"])
    seen = _present(p)
    if p.kind is Kind.INT:
        assert p.low is not None and p.high is not None
        ints = st.integers(int(p.low), int(p.high)) | st.integers(min(seen), max(seen))
        return (st.sampled_from(seen) | ints).map(str)
    if p.kind is Kind.NUMBER:
        assert p.high is not None
        costs = st.floats(0, 0.6, allow_nan=False).map(lambda x: round(x, 4))
        return (st.sampled_from(seen) | costs | st.just(p.high)).map(repr)
    misses = ["no-such-thing"] + ([P.NO_TRACE_TYPE] if p.name == P.TRACE_TYPE else [])
    if p.kind is Kind.ENUM and not p.open_choices:
        misses = list(p.choices)
    exact = st.sampled_from(seen + misses)
    return exact | exact.map(str.upper) if p.kind is Kind.ENUM else exact


def instant() -> st.SearchStrategy[str]:
    """Record times (nudged by half a millisecond or not) and times between, in a few zones."""
    times = [parse_time(r["requestTime"]) for r in RECORDS]
    low, high = min(times) - timedelta(hours=1), max(times) + timedelta(hours=1)
    nudge = st.sampled_from([-500, 0, 500]).map(lambda us: timedelta(microseconds=us))
    exact = st.tuples(st.sampled_from(times), nudge).map(lambda t: t[0] + t[1])
    between = st.integers(0, (high - low) // timedelta(microseconds=1)).map(
        lambda us: low + timedelta(microseconds=us)
    )
    return st.tuples(exact | between, st.sampled_from(ZONES)).map(
        lambda t: t[0].astimezone(t[1]).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


@st.composite
def filter_sets(draw: st.DrawFn) -> dict[str, str]:
    chosen = draw(st.lists(st.sampled_from([*P.FILTERS, *WINDOW]), max_size=4, unique=True))
    return {p.name: draw(instant() if p.role is Role.WINDOW else value_of(p)) for p in chosen}


@SETTINGS
@given(params=filter_sets())
def test_sandbox_returns_what_the_oracle_accepts(
    params: dict[str, str], http: httpx.Client
) -> None:
    got = all_ids(http, params)
    assert len(got) == len(set(got))
    assert set(got) == oracle.ids(params, RECORDS)


SORTABLE = [path for path in schema.PATHS if "." not in path]


@settings(max_examples=40, deadline=None)
@given(
    keys=st.lists(
        st.tuples(st.sampled_from(SORTABLE), st.sampled_from(["asc", "desc"])),
        min_size=1,
        max_size=3,
        unique_by=lambda k: k[0],
    ),
    size=st.integers(40, 400),
)
def test_random_sorts_page_in_plain_sort_order(
    keys: list[tuple[str, str]], size: int, http: httpx.Client
) -> None:
    sorts = [(P.SORT, f"{prop},{direction}") for prop, direction in keys]
    paged: list[str] = []
    for page in range(100):
        body = get_list(http, [*sorts, (P.SIZE, size), (P.PAGE, page)]).json()
        paged.extend(r["id"] for r in records_of(body))
        if page + 1 >= body["page"]["totalPages"]:
            break
    assert paged == sorted_like_sqlite(RECORDS, keys)
