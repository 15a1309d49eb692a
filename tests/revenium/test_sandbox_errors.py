"""What the sandbox refuses and how: auth, team, bad values, rate ceiling, faults, unknown names."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from revenium import params as P
from revenium.params import Kind, Param, Role
from revenium.sandbox.core import LIST_PATH, ME_PATH, Sandbox
from tests.fakes.revenium import KEY, TEAM, http_over, seeded
from tests.support.sandbox import END, MODEL, FakeMonotonic, get_list, records_of

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def spring_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["path"].endswith(response.request.url.path)
    assert {"timestamp", "error"} <= set(body)
    return body


@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_missing_or_wrong_key_is_403_without_a_message(box: Sandbox, key: str | None) -> None:
    with http_over(box, key=key) as c:
        body = spring_error(get_list(c, {}), 403)
        assert spring_error(c.get(ME_PATH), 403)["error"] == "Forbidden"
    assert body["error"] == "Forbidden" and "message" not in body
    assert KEY not in json.dumps(body)


def test_team_checks(http: httpx.Client) -> None:
    missing = spring_error(http.get(LIST_PATH), 400)
    assert P.TEAM_ID in missing["message"]
    bad = spring_error(get_list(http, {P.TEAM_ID: "not a hashid!"}), 400)
    assert bad["message"].startswith("Failed to decode hashed Id")
    other = spring_error(get_list(http, {P.TEAM_ID: "Zz9yXw8v"}), 403)
    assert other["message"] == "Access Denied"
    one = spring_error(http.get(LIST_PATH + "/whatever", params={P.TEAM_ID: "Zz9yXw8v"}), 403)
    assert one["message"] == "Access Denied"


def test_users_me_names_the_team(http: httpx.Client) -> None:
    me = http.get(ME_PATH).json()
    assert me["defaultTeamId"] == TEAM and [t["id"] for t in me["teams"]] == [TEAM]
    assert {"id", "tenantId"} <= set(me)


def test_get_one_record_and_404(box: Sandbox, http: httpx.Client) -> None:
    some = box.records()[17]
    got = http.get(f"{LIST_PATH}/{some['id']}", params={P.TEAM_ID: TEAM})
    assert got.status_code == 200
    assert {k: v for k, v in got.json().items() if k != "_links"} == {
        k: v for k, v in some.items() if k != "_links"
    }
    missing = spring_error(http.get(f"{LIST_PATH}/nope1234", params={P.TEAM_ID: TEAM}), 404)
    assert "nope1234" in missing["message"]
    spring_error(http.get("/v2/api/elsewhere"), 404)
    spring_error(http.post(LIST_PATH, params={P.TEAM_ID: TEAM}), 405)


def _bad_values(p: Param) -> list[str]:
    if p.role in (Role.MIN, Role.MAX):
        assert p.low is not None and p.high is not None
        step = 1 if p.kind is Kind.INT else 0.01
        return [
            repr(p.low - step),
            repr(p.high + step),
            "abc",
            "1.5" if p.kind is Kind.INT else "1,5",
        ]
    if p.kind is Kind.BOOL:
        return ["maybe", ""]
    if p.kind is Kind.DATETIME:
        return ["2025-11-24", "2025-11-24T10:00:00", "yesterday", "2025-11-24T10:00:00 01:00"]
    assert p.max_len is not None
    too_long = ["x" * (p.max_len + 1), ""]
    return too_long if p.open_choices or p.kind is Kind.STRING else [*too_long, "bogus"]


@pytest.mark.parametrize(
    "p", [p for p in P.PARAMS if p.is_filter or p.role is Role.WINDOW], ids=lambda p: p.name
)
def test_bad_values_are_400_naming_the_parameter(p: Param, http: httpx.Client) -> None:
    for value in _bad_values(p):
        body = spring_error(get_list(http, {p.name: value}), 400)
        assert body["error"] == "Bad Request"
        assert p.name in body["message"], (p.name, value, body["message"])


@pytest.mark.parametrize(
    "name, value", [(P.PAGE, "-1"), (P.SIZE, "0"), (P.PAGE, "x"), (P.SIZE, "99999999999")]
)
def test_bad_paging_is_400(http: httpx.Client, name: str, value: str) -> None:
    assert name in spring_error(get_list(http, {name: value}), 400)["message"]


def test_unknown_sort_property_is_400(http: httpx.Client) -> None:
    body = spring_error(get_list(http, {P.SORT: "modle,asc"}), 400)
    assert "modle" in body["message"]


def test_unknown_parameters_are_ignored_but_recorded(
    box: Sandbox, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    box.unknown_params.clear()
    with caplog.at_level(logging.WARNING, logger="revenium.sandbox.core"):
        body = get_list(http, {"modle": "dall-e-3", P.SIZE: 1}).json()
    assert body["page"]["totalElements"] == 900  # unfiltered, like the real API
    assert box.unknown_params == ["modle"]
    assert any("modle" in r.getMessage() for r in caplog.records)
    assert box.queries[-1].startswith(f"{P.TEAM_ID}={TEAM}&modle=")
    before = box.requests
    get_list(http, {MODEL: "x"})
    assert box.requests == before + 1 and box.unknown_params == ["modle"]


def test_rate_limit_headers_and_429() -> None:
    clock = FakeMonotonic()
    box = seeded(end=END, rate_per_s=5, monotonic=clock, wall=lambda: 1_700_000_000.0)
    with http_over(box) as http:
        answers = [get_list(http, {P.SIZE: 1}) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == [
            "4",
            "3",
            "2",
            "1",
            "0",
        ]
        for a in answers:
            assert all(h in a.headers for h in RATE_HEADERS)
            assert a.headers["X-RateLimit-Bucket"] == "analytics"
            assert a.headers["X-RateLimit-Limit"] == "5"
            assert int(a.headers["X-RateLimit-Reset"]) >= 1_700_000_000
        limited = answers[-1]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["X-RateLimit-Limited-Reason"] == "bucket-rate"
        spring_error(limited, 429)
        clock.now += 0.2  # one token back
        assert get_list(http, {P.SIZE: 1}).status_code == 200
        assert get_list(http, {P.SIZE: 1}).status_code == 429
        clock.now += 10
        assert get_list(http, {P.SIZE: 1}).headers["X-RateLimit-Remaining"] == "4"
        with http_over(box, key="bad") as anonymous:
            refused = get_list(anonymous, {})
        assert refused.status_code == 403 and all(h in refused.headers for h in RATE_HEADERS)


def test_fault_429_and_5xx_take_turns_then_stop(box: Sandbox, http: httpx.Client) -> None:
    box.inject("429", count=2)
    box.inject("5xx")
    first, second = get_list(http, {}), http.get(ME_PATH)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert first.headers["X-RateLimit-Limited-Reason"] == "bucket-rate"
    assert second.status_code == 200  # users/me does not take list faults
    assert get_list(http, {}).status_code == 429
    assert spring_error(get_list(http, {}), 503)["error"] == "Service Unavailable"
    assert get_list(http, {}).status_code == 200


def test_fault_malformed_is_a_broken_200(box: Sandbox, http: httpx.Client) -> None:
    box.inject("malformed")
    broken = get_list(http, {})
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    assert records_of(get_list(http, {}).json())


def test_fault_slow_sleeps_in_the_handler_then_answers() -> None:
    slept: list[float] = []
    box = seeded(end=END, seed=1, days=1, per_day=10, rate_per_s=100, sleep=slept.append)
    box.inject("slow", count=2, delay_s=2.5)
    with http_over(box) as http:
        assert get_list(http, {}).status_code == 200
        assert http.get(f"{LIST_PATH}/missing", params={P.TEAM_ID: TEAM}).status_code == 404
        assert get_list(http, {}).status_code == 200
    assert slept == [2.5, 2.5]


def test_inject_refuses_unknown_kinds(box: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        box.inject("teapot")
    with pytest.raises(ValueError):
        box.inject("429", count=0)


def test_repr_and_errors_never_show_the_key(box: Sandbox) -> None:
    assert KEY not in repr(box)
    with pytest.raises(ValueError, match="hashid"):
        Sandbox(None, api_key=KEY, team_id="bad team")
