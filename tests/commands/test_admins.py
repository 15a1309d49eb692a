"""Who may change things: IMGMETRICS_ADMINS exactly, else Slack's admins and owners (asked
with users.info on the fake Slack, remembered a few minutes, refused on any failure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.commands.admins import CACHE_TTL, Admins
from bot.config import Settings
from bot.errors import Refusal
from bot.reply import OPERATORS
from bot.slack.admins import admins_for, slack_lookup
from revenium.clock import FakeClock
from revenium.secret import Secret
from tests.fakes.slack import FakeSlack

T0 = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U0MARIA", "maria", admin=True)
        fake.add_user("U0OWNER", "olga", owner=True)
        fake.add_user("U0BOB", "bob")
        yield fake


def over(slack: FakeSlack, clock: FakeClock, **settings: object) -> Admins:
    values = {"slack_bot_token": Secret(slack.token), "slack_api_url": slack.url, **settings}
    return admins_for(Settings(**values), clock)  # type: ignore[arg-type]


def test_named_admins_are_exactly_those(slack: FakeSlack) -> None:
    admins = over(slack, FakeClock(T0), admins=frozenset({"U0BOB"}))
    assert admins.check("U0BOB")
    assert not admins.check("U0MARIA")  # a workspace admin, but not named
    assert slack.calls("users.info") == []  # the list is the answer: Slack is not asked
    with pytest.raises(Refusal) as refused:
        admins.require("U0MARIA", "rules")
    assert (
        refused.value.message
        == "⛔ Only imgmetrics admins can change rules. Admins here: <@U0BOB>."
    )


def test_workspace_admins_and_owners_from_users_info(slack: FakeSlack) -> None:
    admins = over(slack, FakeClock(T0))
    assert admins.check("U0MARIA") and admins.check("U0OWNER")
    assert not admins.check("U0BOB")
    assert [c.params["user"] for c in slack.calls("users.info")] == ["U0MARIA", "U0OWNER", "U0BOB"]
    with pytest.raises(Refusal) as refused:
        admins.require("U0BOB", "budgets")
    assert "Only imgmetrics admins can change budgets" in refused.value.message
    assert "workspace's admins and owners" in refused.value.message


def test_answers_are_remembered_until_they_expire(slack: FakeSlack) -> None:
    clock = FakeClock(T0)
    admins = over(slack, clock)
    assert admins.check("U0MARIA")
    clock.advance(CACHE_TTL - timedelta(seconds=1))
    assert admins.check("U0MARIA")
    assert len(slack.calls("users.info")) == 1
    clock.advance(timedelta(seconds=1))
    assert admins.check("U0MARIA")
    assert len(slack.calls("users.info")) == 2


def test_a_demotion_counts_once_the_cache_expires(slack: FakeSlack) -> None:
    clock = FakeClock(T0)
    admins = over(slack, clock)
    assert admins.check("U0MARIA")
    slack.add_user("U0MARIA", "maria", admin=False)
    clock.advance(CACHE_TTL)
    assert not admins.check("U0MARIA")


@pytest.mark.parametrize("error", ["ratelimited", "user_not_found", "internal_error"])
def test_any_failure_to_ask_refuses(slack: FakeSlack, error: str) -> None:
    admins = over(slack, FakeClock(T0))
    slack.fail_next(
        "users.info", error, count=10, status=500 if error == "internal_error" else None
    )
    assert not admins.check("U0MARIA")
    assert not admins.check("U0NOBODY")


def test_failures_are_not_remembered(slack: FakeSlack) -> None:
    admins = over(slack, FakeClock(T0))
    slack.fail_next("users.info", "user_not_found")
    assert not admins.check("U0MARIA")
    assert admins.check("U0MARIA")  # asked again at once, and this time Slack answered


def test_an_unreachable_slack_refuses() -> None:
    settings = Settings(slack_bot_token=Secret("xoxb-x"), slack_api_url="http://127.0.0.1:9/api/")
    assert not admins_for(settings, FakeClock(T0)).check("U0MARIA")


def test_without_a_token_only_named_admins_and_the_operator() -> None:
    admins = admins_for(Settings(), FakeClock(T0))
    assert slack_lookup(Settings()) is None
    assert not admins.check("U0MARIA")
    assert all(admins.check(user) for user in OPERATORS)
    with pytest.raises(Refusal) as refused:
        admins.require("U0MARIA", "digests")
    assert "set IMGMETRICS_ADMINS" in refused.value.message
    named = admins_for(Settings(admins=frozenset({"U0MARIA"})), FakeClock(T0))
    assert named.check("U0MARIA") and named.check("U_CONSOLE")


def test_the_token_never_shows_in_a_refusal(slack: FakeSlack) -> None:
    admins = over(slack, FakeClock(T0))
    slack.fail_next("users.info", "invalid_auth")
    with pytest.raises(Refusal) as refused:
        admins.require("U0MARIA", "rules")
    assert slack.token not in refused.value.message
