"""Requests to the bot, built and signed exactly as Slack builds and signs them.

`sign` is Slack's v0 scheme: HMAC-SHA256 over `v0:{timestamp}:{body}`. The body
builders give slash commands (form fields), block_actions (form field `payload=`
JSON) and Events API callbacks (JSON), in the shapes Slack sends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

SECRET = "signing-secret-7e1d9c"  # the signing secret of every test app

FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
# Loopback, port 9 (discard): a test that forgets to pass the fake's response_url
# fails fast on this machine instead of reaching out to Slack.
NO_RESPONSE_URL = "http://127.0.0.1:9/response-url-not-set"
APP_ID, BOT_USER_ID = "A1", "UBOT"


def sign(body: bytes, secret: str, timestamp: int) -> dict[str, str]:
    """The two headers Slack adds to every request it sends to the app."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    body: bytes, secret: str, timestamp: int, content_type: str = FORM
) -> dict[str, str]:
    """`sign`'s headers plus the Content-Type Slack sends with that kind of body."""
    return {"Content-Type": content_type, **sign(body, secret, timestamp)}


def slash_command_body(
    text: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = NO_RESPONSE_URL,
    *,
    command: str = "/imgmetrics",
    team_id: str = "T1",
    trigger_id: str = "1000000001.1.0f0f0f0f0f0f0f0f",
    user_name: str = "alice",
    channel_name: str = "general",
) -> bytes:
    """A slash command invocation, form-encoded, fields in the order Slack sends them."""
    fields = {
        "token": "unused-verification-token",
        "team_id": team_id,
        "team_domain": "fake-workspace",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }
    return urlencode(fields).encode()


def block_action_body(
    action_id: str,
    value: str,
    user_id: str = "U1",
    channel_id: str = "C1",
    response_url: str = NO_RESPONSE_URL,
    *,
    message_ts: str | None = None,
    message: dict[str, Any] | None = None,
    block_id: str = "actions",
    team_id: str = "T1",
    trigger_id: str = "1000000002.1.0f0f0f0f0f0f0f0f",
    action_ts: str = "1700000000.000001",
) -> bytes:
    """A button click; `message_ts` or `message` is the message that carried the button
    (without either, the button was on an ephemeral message, which Slack does not echo)."""
    if message is not None:
        message_ts = str(message["ts"])
    elif message_ts is not None:
        message = {"type": "message", "ts": message_ts, "user": BOT_USER_ID, "text": ""}
    container = {
        "type": "message",
        "message_ts": message_ts or action_ts,
        "channel_id": channel_id,
        "is_ephemeral": message is None,
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "unused-verification-token",
        "container": container,
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "fake-workspace"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        **({"message": message} if message is not None else {}),
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(
    event: dict[str, Any], team_id: str = "T1", event_time: int = 1_700_000_000
) -> bytes:
    """An Events API `event_callback` carrying `event` (send with JSON_TYPE)."""
    envelope = {
        "token": "unused-verification-token",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{event_time}",
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()


def app_home_opened_body(user_id: str = "U1", tab: str = "home") -> bytes:
    """The event Slack sends when a user opens the app's Home (or Messages) tab."""
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": "D" + user_id.lstrip("UW"),
        "tab": tab,
        "event_ts": "1700000000.000100",
    }
    return event_body(event)
