"""The retry policy of every Slack client, against the fake Slack: a lost connection is
tried again by every client but the alerts' (a blind repeat of a post Slack took would
post twice: the dispatcher looks it up first), and answers also wait out 429s and 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.slack.clients import Purpose, retry_handlers, web_client
from revenium.secret import Secret
from tests.fakes.slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U0ANN", "ann")
        yield fake


def client(slack: FakeSlack, purpose: Purpose) -> WebClient:
    settings = Settings(slack_bot_token=Secret(slack.token), slack_api_url=slack.url)
    return web_client(settings, purpose)


@pytest.mark.parametrize("purpose", ["answers", "lookup"])
def test_a_lost_connection_is_tried_again(slack: FakeSlack, purpose: Purpose) -> None:
    slack.fail_next("users.info", "disconnect")
    answer = client(slack, purpose).users_info(user="U0ANN")
    assert answer["user"]["id"] == "U0ANN"
    assert len(slack.calls("users.info")) == 2


def test_the_alerts_client_never_repeats_a_call_by_itself(slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "disconnect", applied=True)  # Slack took it
    with pytest.raises(OSError):
        client(slack, "alerts").chat_postMessage(channel="C1", text="once")
    assert len(slack.calls("chat.postMessage")) == 1
    slack.fail_next("chat.postMessage", status=503, error="internal_error")
    with pytest.raises(SlackApiError):
        client(slack, "alerts").chat_postMessage(channel="C1", text="once")
    assert len(slack.calls("chat.postMessage")) == 2


def test_each_purpose_keeps_the_connection_retry_unless_it_must_not() -> None:
    kinds = {p: [type(h) for h in retry_handlers(p)] for p in ("answers", "alerts", "lookup")}
    assert kinds == {
        "answers": [
            ConnectionErrorRetryHandler,
            RateLimitErrorRetryHandler,
            ServerErrorRetryHandler,
        ],
        "alerts": [],
        "lookup": [ConnectionErrorRetryHandler],
    }
