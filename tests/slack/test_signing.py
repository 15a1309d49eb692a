"""Requests built by tests/fakes/signing.py are signed and shaped exactly as Slack's.

Checked three ways: Slack's published example vector, slack_sdk's SignatureVerifier,
and a real Bolt App (talking to FakeSlack) that accepts them and rejects forgeries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from tests.fakes.signing import (
    JSON_TYPE,
    SECRET,
    app_home_opened_body,
    block_action_body,
    sign,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack import FakeSlack

NOW = 1_700_000_000


class FixedClock(Clock):
    def now(self) -> float:
        return float(NOW)


def test_matches_slacks_published_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
        b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign(body, "8f742231b10e8888abcd99yyyzzz85a5", 1531420618)
    assert headers == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
    }


def test_signature_verifier_accepts_ours_and_nothing_else() -> None:
    verifier = SignatureVerifier(SECRET, clock=FixedClock())
    body = slash_command_body("summary last 7d")
    assert verifier.is_valid_request(body, sign(body, SECRET, NOW))
    assert verifier.is_valid_request(body, sign(body, SECRET, NOW - 299))
    assert not verifier.is_valid_request(body + b"x", sign(body, SECRET, NOW))
    assert not verifier.is_valid_request(body, sign(body, "another-secret", NOW))
    assert not verifier.is_valid_request(body, sign(body, SECRET, NOW - 301))


def test_slash_command_body_has_slacks_fields() -> None:
    body = slash_command_body("cost>5 in <#C2|ops>", user_id="U7", response_url="http://x/r")
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert fields["text"] == "cost>5 in <#C2|ops>" and fields["command"] == "/imgmetrics"
    assert (fields["user_id"], fields["channel_id"], fields["team_id"]) == ("U7", "C1", "T1")
    assert fields["response_url"] == "http://x/r" and fields["trigger_id"]


def test_block_action_body_is_a_block_actions_payload() -> None:
    body = block_action_body(
        "silence_1h", "rule-7", "U2", "C3", "http://x/r", message_ts="1700000001.000001"
    )
    (raw,) = parse_qs(body.decode())["payload"]
    payload = json.loads(raw)
    assert payload["type"] == "block_actions"
    action = payload["actions"][0]
    assert (action["action_id"], action["value"], action["type"]) == (
        "silence_1h",
        "rule-7",
        "button",
    )
    assert payload["user"]["id"] == "U2" and payload["channel"]["id"] == "C3"
    assert payload["container"]["message_ts"] == payload["message"]["ts"] == "1700000001.000001"
    ephemeral = json.loads(parse_qs(block_action_body("a", "v").decode())["payload"][0])
    assert ephemeral["container"]["is_ephemeral"] is True and "message" not in ephemeral


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


def _bolt_app(fake: FakeSlack, seen: list[Any]) -> App:
    """A Bolt App on FakeSlack (Bolt calls auth.test when built) that notes what it got."""
    client = WebClient(base_url=fake.url, token="xoxb-test", retry_handlers=[])
    app = App(client=client, signing_secret=SECRET, process_before_response=True)

    @app.command("/imgmetrics")
    def command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        seen.append(body["text"])
        respond(text=f"answer to {body['text']}")

    @app.action("silence_1h")
    def silence(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
        ack()
        seen.append(action["value"])
        respond(text="silenced", replace_original=True)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    return app


def _dispatch(app: App, body: bytes, headers: dict[str, str]) -> int:
    return app.dispatch(BoltRequest(body=body.decode(), headers=dict(headers))).status


def test_bolt_accepts_signed_requests_and_rejects_forged_ones(fake: FakeSlack) -> None:
    seen: list[Any] = []
    app = _bolt_app(fake, seen)
    assert [c.method for c in fake.calls()] == ["auth.test"]
    now = int(time.time())  # Bolt checks signatures against the real clock

    body = slash_command_body("top model", response_url=fake.response_url("cmd"))
    assert _dispatch(app, body, signed_headers(body, SECRET, now)) == 200
    assert fake.responses("cmd") == [{"text": "answer to top model"}]
    assert _dispatch(app, body, signed_headers(body, "wrong-secret", now)) == 401
    assert _dispatch(app, body, signed_headers(body, SECRET, now - 301)) == 401
    assert _dispatch(app, body, {"Content-Type": "application/x-www-form-urlencoded"}) == 401
    assert seen == ["top model"]

    ts = WebClient(base_url=fake.url, token="xoxb-test").chat_postMessage(
        channel="C1", text="alert"
    )["ts"]
    url = fake.response_url("btn", channel="C1", message_ts=ts)
    click = block_action_body(
        "silence_1h", "rule-7", response_url=url, message=fake.message("C1", ts)
    )
    assert _dispatch(app, click, signed_headers(click, SECRET, now)) == 200
    assert seen[-1] == "rule-7" and fake.message("C1", ts)["text"] == "silenced"

    event = app_home_opened_body("U5")
    assert _dispatch(app, event, signed_headers(event, SECRET, now, JSON_TYPE)) == 200
    assert fake.home_view("U5") is not None
