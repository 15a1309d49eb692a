"""The sandbox's data and its list semantics: determinism, realism, every filter, paging, sort."""

from __future__ import annotations

import json
import sqlite3
import statistics
from collections import Counter
from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest

from revenium import params as P
from revenium.params import Kind, Param, Role
from revenium.records import field, format_time, parse_time
from revenium.sandbox import seed
from revenium.sandbox.core import HASHID, Sandbox
from tests.fakes.revenium import TEAM, http_over
from tests.support import oracle
from tests.support.sandbox import END, MODEL, all_ids, get_list, records_of

# -- the data -------------------------------------------------------------


def _rows(seed_value: int, days: int = 2, per_day: int = 200) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(":memory:")
    assert (
        seed.generate(conn, seed=seed_value, days=days, per_day=per_day, end=END) == days * per_day
    )
    return conn.execute("SELECT * FROM metrics ORDER BY rowid").fetchall()


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    assert _rows(5) == _rows(5)
    assert _rows(5) != _rows(6)
    one = Sandbox.seeded(seed=3, days=1, per_day=50, end=END, api_key="k", team_id=TEAM)
    two = Sandbox.seeded(seed=3, days=1, per_day=50, end=END, api_key="k", team_id=TEAM)
    assert json.dumps(one.records()) == json.dumps(two.records())


def test_record_shape_and_constants(records: list[dict[str, Any]]) -> None:
    assert len(records) == 900
    first = records[0]
    assert list(first)[:3] == ["id", "label", "resourceType"]
    assert set(first["organization"]) == {"id", "label"} and set(first["product"]) == {
        "id",
        "label",
    }
    for r in records:
        assert r["resourceType"] == "ai.image.metric" and r["operationType"] == "IMAGE"
        assert r["costType"] == "IMAGE_GENERATION" and r["billingUnit"] == "PER_IMAGE"
        assert HASHID.fullmatch(r["id"])
        assert r["_links"]["self"]["href"].endswith("/" + r["id"])
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["transactionId"] for r in records}) == len(records)


def test_times_inside_the_window_and_response_after_duration(records: list[dict[str, Any]]) -> None:
    for r in records:
        assert r["requestTime"].endswith("Z") and len(r["requestTime"]) == 24
        start = parse_time(r["requestTime"])
        assert END - timedelta(days=3) <= start < END
        assert parse_time(r["responseTime"]) - start == timedelta(milliseconds=r["requestDuration"])


def test_realistic_mix(records: list[dict[str, Any]]) -> None:
    providers = {r["provider"] for r in records}
    assert providers == {"OPENAI", "GOOGLE_AI", "VERTEX_AI", "fal_ai"}
    models = {
        "dall-e-2",
        "dall-e-3",
        "gpt-image-1",
        "imagen-3",
        "imagen-4",
        "flux-pro",
        "flux-schnell",
        "sdxl",
    }
    assert {r["model"] for r in records} <= models
    errors = [r for r in records if r["errorReason"]]
    assert 0.01 <= len(errors) / len(records) <= 0.08
    assert {r["errorReason"] for r in errors} <= {
        "content_policy_violation",
        "rate_limit_exceeded",
        "timeout",
        "invalid_request",
    }
    assert all(r["actualImageCount"] < r["requestedImageCount"] for r in errors)
    for r in records:
        assert 1 <= r["requestedImageCount"] <= 4
        assert 2_000 <= r["requestDuration"] <= 40_000
        if not r["errorReason"]:
            assert 0.016 <= r["totalCost"] / r["actualImageCount"] <= 0.12 + 1e-9
    for p in P.FILTERS:
        if p.kind is Kind.ENUM and not p.open_choices and p.field:
            assert {field(r, p.field) for r in records} - {None} <= set(p.choices), p.name


def test_names_and_traces_repeat(records: list[dict[str, Any]]) -> None:
    assert len({r["organization"]["label"] for r in records}) <= 10
    assert len({r["agent"] for r in records}) <= 10
    traces = Counter(r["traceId"] for r in records if r["traceId"])
    assert traces.most_common(1)[0][1] >= 2
    assert any(r["traceId"] and r["traceType"] is None for r in records)
    assert any(r["traceId"] is None for r in records)


def test_daily_and_weekly_rhythm() -> None:
    conn = sqlite3.connect(":memory:")
    seed.generate(conn, seed=1, days=28, per_day=500, end=END)
    times = [parse_time(t) for (t,) in conn.execute("SELECT requestTime FROM metrics")]
    by_day = Counter(t.weekday() for t in times)
    weekday = statistics.mean(by_day[d] for d in range(5))
    weekend = statistics.mean(by_day[d] for d in (5, 6))
    assert weekend < 0.75 * weekday
    by_hour = Counter(t.hour for t in times)
    assert by_hour[15] > 2 * by_hour[22]


def test_add_records_makes_a_spike_visible(box: Sandbox) -> None:
    spike = Sandbox.seeded(seed=2, days=1, per_day=20, end=END, api_key="k", team_id=TEAM)
    start = END + timedelta(minutes=1)
    rows = [{"model": "spike-model", "totalCost": 5.0, "requestTime": start.isoformat()}] * 3
    assert spike.add_records(rows) == 3
    with http_over(spike, key="k") as c:
        body = get_list(c, {MODEL: "spike-model"}).json()
    assert body["page"]["totalElements"] == 3
    got = records_of(body)
    assert {r["requestTime"] for r in got} == {"2025-11-25T09:31:00.000Z"}
    assert all(r["provider"] is None and r["organization"] is None for r in got)
    assert len({r["id"] for r in got}) == 3
    with pytest.raises(ValueError, match="offset"):
        spike.add_records([{"id": "naive1", "requestTime": "2025-11-25T10:00:00"}])


# -- every filter against the oracle ----------------------------------------


def _values(p: Param, records: list[dict[str, Any]]) -> list[str]:
    """Values worth asking for: common and rare ones, case variants, misses, bounds."""
    assert p.field is not None
    seen = Counter(field(r, p.field) for r in records if field(r, p.field) is not None)
    ranked = [v for v, _ in seen.most_common()]
    if p.kind is Kind.BOOL:
        return ["true", "false", "TRUE"]
    if p.role in (Role.MIN, Role.MAX):
        assert p.low is not None and p.high is not None
        ordered = sorted(seen)
        picks = [ordered[0], ordered[len(ordered) // 2], ordered[-1], p.low, p.high]
        return [str(int(v)) if p.kind is Kind.INT else repr(float(v)) for v in picks]
    out = [ranked[0], ranked[-1], ranked[0].upper(), "no-such-value"]
    if p.kind is Kind.ENUM:
        out = [*(ranked if p.open_choices else p.choices), ranked[0].upper()]
    if p.name == P.TRACE_TYPE:
        out.append(P.NO_TRACE_TYPE)
    return out


@pytest.mark.parametrize("p", P.FILTERS, ids=lambda p: p.name)
def test_every_filter_agrees_with_the_oracle(
    p: Param, http: httpx.Client, records: list[dict[str, Any]]
) -> None:
    sizes = []
    for value in _values(p, records):
        expected = oracle.ids({p.name: value}, records)
        got = all_ids(http, {p.name: value})
        assert len(got) == len(set(got))
        assert set(got) == expected, (p.name, value)
        sizes.append(len(expected))
    assert any(0 < n < len(records) for n in sizes), f"{p.name} never narrowed the data"


def test_window_is_inclusive_and_honours_offsets(
    http: httpx.Client, records: list[dict[str, Any]]
) -> None:
    r = records[100]
    at = parse_time(r["requestTime"])
    same_instant = {x["id"] for x in records if x["requestTime"] == r["requestTime"]}
    exact = {P.START_DATE: r["requestTime"], P.END_DATE: r["requestTime"]}
    assert set(all_ids(http, exact)) == same_instant
    india, pacific = timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))
    offsets = {
        P.START_DATE: at.astimezone(india).isoformat(timespec="milliseconds"),
        P.END_DATE: at.astimezone(pacific).isoformat(timespec="milliseconds"),
    }
    assert set(all_ids(http, offsets)) == same_instant
    later = {P.START_DATE: format_time(at + timedelta(milliseconds=1))}
    assert r["id"] not in all_ids(http, later)
    half = timedelta(microseconds=500)  # bounds finer than the records' milliseconds
    assert r["id"] not in all_ids(http, {P.START_DATE: (at + half).isoformat()})
    assert r["id"] not in all_ids(http, {P.END_DATE: (at - half).isoformat()})
    assert r["id"] in all_ids(
        http, {P.START_DATE: (at - half).isoformat(), P.END_DATE: (at + half).isoformat()}
    )


def test_traceType_unknown_means_no_trace_type(
    http: httpx.Client, records: list[dict[str, Any]]
) -> None:
    got = set(all_ids(http, {P.TRACE_TYPE: P.NO_TRACE_TYPE}))
    assert got == {r["id"] for r in records if not r["traceType"]}
    assert got


def test_repeated_parameter_uses_the_first(
    http: httpx.Client, records: list[dict[str, Any]]
) -> None:
    body = get_list(http, [(MODEL, "dall-e-3"), (MODEL, "sdxl"), (P.SIZE, "1000")]).json()
    assert {r["model"] for r in records_of(body)} == {"dall-e-3"}
