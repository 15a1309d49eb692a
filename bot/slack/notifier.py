"""The Notifier that posts to Slack: chat.postMessage / chat.update, each post tagged
with its outbox key, and the bot's recent tagged posts read back after a crash.

Failures become bot.errors.DeliveryError (SlackRateLimited for a 429 with Retry-After).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot import metrics
from bot.alerts.notifier import Blocks, key_of, metadata
from bot.errors import DeliveryError, SlackRateLimited

HISTORY_PAGES = 5  # a crashed post is recent: a few pages of history are plenty
WEB_METHODS = {  # the client's method names as Slack spells them: the metric's label
    "chat_postMessage": "chat.postMessage",
    "chat_update": "chat.update",
    "conversations_history": "conversations.history",
    "conversations_replies": "conversations.replies",
}


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, channel: str, text: str, blocks: Blocks, key: str) -> str:
        answer = self._call(
            "chat_postMessage",
            channel=channel,
            text=text,
            blocks=list(blocks),
            metadata=metadata(key),
            unfurl_links=False,
        )
        return str(answer["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: Blocks) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=list(blocks))

    def reply(self, channel: str, thread_ts: str, text: str, blocks: Blocks, key: str) -> str:
        answer = self._call(
            "chat_postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=list(blocks),
            metadata=metadata(key),
        )
        return str(answer["ts"])

    def recent_keys(
        self, channel: str, oldest: datetime, thread_ts: str | None = None
    ) -> dict[str, str]:
        method = "conversations_history" if thread_ts is None else "conversations_replies"
        args: dict[str, Any] = {
            "channel": channel,
            "oldest": f"{oldest.timestamp():.6f}",
            "include_all_metadata": True,
            "limit": 200,
        }
        if thread_ts is not None:
            args["ts"] = thread_ts
        found: dict[str, str] = {}
        for _ in range(HISTORY_PAGES):
            answer = self._call(method, **args)
            for message in answer.get("messages") or []:
                if (key := key_of(message)) is not None:
                    found[key] = str(message["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                break
            args["cursor"] = cursor
        return found

    def _call(self, method: str, **args: Any) -> dict[str, Any]:
        try:
            answer = getattr(self.client, method)(**args)
        except SlackApiError as e:
            response = e.response
            if response.status_code == 429:
                _count(method, "ratelimited")
                raise SlackRateLimited(float(response.headers.get("Retry-After", 1))) from None
            code = str(response.get("error", "") or "")
            _count(method, "refused")
            raise DeliveryError(f"Slack {method}: {code or 'failed'}", code) from None
        except (SlackClientError, OSError) as e:  # connection lost: the call may have landed
            _count(method, "lost")
            raise DeliveryError(f"Slack {method}: {type(e).__name__}") from None
        _count(method, "ok")
        data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
        return data


def _count(method: str, outcome: str) -> None:
    """One send, labelled by its Web API method (chat.postMessage) and how it ended."""
    metrics.SLACK_SENDS.labels(WEB_METHODS[method], outcome).inc()
