"""Where alert messages go: the Notifier protocol, Slack's Web API form and the console's.

Every post carries message `metadata` naming its outbox key, so that after a crash the
dispatcher (bot/dispatch.py) can find a post Slack took but the process never heard of.
Failures become DeliveryError (RateLimited for a 429 with its Retry-After).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TextIO

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.terminal import blocks_to_text

EVENT_TYPE = "imgmetrics_outbox"
HISTORY_PAGES = 5  # a crashed post is recent: a few pages of history are plenty
Blocks = Sequence[dict[str, Any]]


class DeliveryError(Exception):
    """A send failed; the message names Slack's error code, never a token."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # Slack's error code, e.g. "not_in_channel"; "" if none came back


class RateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: retry after {retry_after:g} s", "ratelimited")
        self.retry_after = retry_after


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def key_of(message: dict[str, Any]) -> str | None:
    """The outbox key a message was tagged with, if it is one of ours."""
    meta = message.get("metadata") or {}
    if meta.get("event_type") != EVENT_TYPE:
        return None
    key = (meta.get("event_payload") or {}).get("key")
    return key if isinstance(key, str) else None


class Notifier(Protocol):
    def post(self, channel: str, text: str, blocks: Blocks, key: str) -> str:
        """A new top-level message tagged with `key`; returns its ts."""
        ...

    def update(self, channel: str, ts: str, text: str, blocks: Blocks) -> None: ...

    def reply(self, channel: str, thread_ts: str, text: str, blocks: Blocks, key: str) -> str:
        """A reply in the thread of `thread_ts`, tagged with `key`; returns its ts."""
        ...

    def recent_keys(
        self, channel: str, oldest: datetime, thread_ts: str | None = None
    ) -> dict[str, str]:
        """Outbox key -> ts of our tagged messages since `oldest` (in a thread, if given)."""
        ...


def notify_client(settings: Settings) -> WebClient:
    """A WebClient that never retries by itself: a blind retry of a post that Slack took
    would post twice, and a 429 must be waited out by the dispatcher, not in a thread."""
    return WebClient(
        token=settings.slack_bot_token.reveal(), base_url=settings.slack_api_url, retry_handlers=[]
    )


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, channel: str, text: str, blocks: Blocks, key: str) -> str:
        answer = self._call(
            "chat_postMessage", channel=channel, text=text, blocks=list(blocks),
            metadata=metadata(key), unfurl_links=False,
        )  # fmt: skip
        return str(answer["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: Blocks) -> None:
        self._call("chat_update", channel=channel, ts=ts, text=text, blocks=list(blocks))

    def reply(self, channel: str, thread_ts: str, text: str, blocks: Blocks, key: str) -> str:
        answer = self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=text,
            blocks=list(blocks), metadata=metadata(key),
        )  # fmt: skip
        return str(answer["ts"])

    def recent_keys(
        self, channel: str, oldest: datetime, thread_ts: str | None = None
    ) -> dict[str, str]:
        method = "conversations_history" if thread_ts is None else "conversations_replies"
        args: dict[str, Any] = {"channel": channel, "oldest": f"{oldest.timestamp():.6f}",
                                "include_all_metadata": True, "limit": 200}  # fmt: skip
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
                raise RateLimited(float(response.headers.get("Retry-After", 1))) from None
            code = str(response.get("error", "") or "")
            raise DeliveryError(f"Slack {method}: {code or 'failed'}", code) from None
        except (SlackClientError, OSError) as e:  # connection lost: the call may have landed
            raise DeliveryError(f"Slack {method}: {type(e).__name__}") from None
        data: dict[str, Any] = answer.data if isinstance(answer.data, dict) else {}
        return data


@dataclass
class ConsoleMessage:
    channel: str
    ts: str
    text: str
    key: str | None
    thread_ts: str | None = None
    edits: int = 0


@dataclass
class ConsoleNotifier:
    """Prints alerts to a terminal; remembers them so updates and lookups work as in Slack."""

    out: TextIO
    messages: list[ConsoleMessage] = field(default_factory=list)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _add(self, channel: str, text: str, blocks: Blocks, key: str | None,
             thread_ts: str | None = None) -> str:  # fmt: skip
        ts = f"{next(self._seq)}.000000"
        self.messages.append(ConsoleMessage(channel, ts, text, key, thread_ts))
        where = f"#{channel}" + (f" (thread {thread_ts})" if thread_ts else "")
        self._print(where, blocks, text)
        return ts

    def _print(self, where: str, blocks: Blocks, text: str) -> None:
        body = blocks_to_text(list(blocks)) if blocks else text
        self.out.write(f"── {where}\n{body}\n")
        self.out.flush()

    def post(self, channel: str, text: str, blocks: Blocks, key: str) -> str:
        return self._add(channel, text, blocks, key)

    def update(self, channel: str, ts: str, text: str, blocks: Blocks) -> None:
        for message in self.messages:
            if message.channel == channel and message.ts == ts:
                message.text, message.edits = text, message.edits + 1
        self._print(f"#{channel} (edited {ts})", blocks, text)

    def reply(self, channel: str, thread_ts: str, text: str, blocks: Blocks, key: str) -> str:
        return self._add(channel, text, blocks, key, thread_ts)

    def recent_keys(
        self, channel: str, oldest: datetime, thread_ts: str | None = None
    ) -> dict[str, str]:
        return {
            m.key: m.ts
            for m in self.messages
            if m.channel == channel and m.key is not None and m.thread_ts == thread_ts
        }
