"""RevClient's refusals: each 4xx maps to one error, is never retried, and reads well."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from revenium import params as P
from revenium.errors import (
    BadKey,
    BadTeamId,
    InvalidRequest,
    RecordNotFound,
    ReveniumError,
    TeamDenied,
)
from revenium.query import Query
from tests.fakes.revenium import OTHER_TEAM, Sleeps, client_over, seeded

END = datetime(2025, 3, 10, tzinfo=UTC)  # the client tests' sandbox ends here


def _refused(error: type[ReveniumError], match: str, **client: Any) -> ReveniumError:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    with pytest.raises(error, match=match) as caught:
        client_over(box, sleep=sleeps, **client).page(Query(), 0)
    assert box.requests == 1, "a refusal is never retried"
    assert sleeps == []
    assert not caught.value.retryable
    return caught.value


def test_bad_key_is_bad_key_and_not_retried() -> None:
    error = _refused(BadKey, r"API key was refused \(403 Forbidden\)", api_key="wrong-key")
    assert error.status == 403
    assert "REVENIUM_API_KEY" in str(error)


def test_team_the_key_cannot_read_is_team_denied() -> None:
    error = _refused(TeamDenied, "Access Denied", team_id=OTHER_TEAM)
    assert OTHER_TEAM in str(error) and error.status == 403


def test_undecodable_team_is_bad_team_id() -> None:
    error = _refused(BadTeamId, "not a valid Revenium team id", team_id="no-such-team!")
    assert error.status == 400 and "REVENIUM_TEAM_ID" in str(error)


def test_validation_400_is_invalid_request_with_the_servers_message() -> None:
    box, sleeps = seeded(end=END, seed=7, per_day=400, rate_per_s=100), Sleeps()
    bad = Query(filters=((P.param("totalCostMin").name, -5),))
    with pytest.raises(InvalidRequest) as caught:
        client_over(box, sleep=sleeps).page(bad, 0)
    assert "totalCostMin: must be greater than or equal to 0" in str(caught.value)
    assert str(caught.value).startswith("Revenium rejected the request (400 Bad Request)")
    assert caught.value.status == 400 and box.requests == 1 and sleeps == []


def test_bad_sort_property_is_invalid_request() -> None:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100)
    with pytest.raises(InvalidRequest, match="No property 'colour'"):
        client_over(box).page(Query(sort=(("colour", "asc"),)), 0)
    assert box.requests == 1


def test_get_missing_record_is_not_found_once() -> None:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100)
    with pytest.raises(RecordNotFound, match="no image metric record"):
        client_over(box).get("ZZZZzzzz")
    assert box.requests == 1


def test_errors_are_one_line_and_user_readable() -> None:
    for error, client in (
        (BadKey, {"api_key": "nope"}),
        (TeamDenied, {"team_id": OTHER_TEAM}),
        (BadTeamId, {"team_id": "??"}),
    ):
        caught = _refused(error, "check REVENIUM_", **client)
        text = str(caught)
        assert "\n" not in text and "Traceback" not in text
        assert "http" not in text, "no URL (and so no query string) in a user-facing message"
