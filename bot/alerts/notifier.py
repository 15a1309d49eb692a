"""Where alert messages go: the Notifier protocol, and the console's notifier.

Every post carries message `metadata` naming its outbox key, so that after a crash the
dispatcher (bot/alerts/dispatcher.py) can find a post Slack took but the process never
heard of. Failures are bot.errors.DeliveryError (SlackRateLimited for a 429). Slack's
own notifier is bot/slack/notifier.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TextIO

from bot.render.terminal import blocks_to_text, mrkdwn_to_text

EVENT_TYPE = "imgmetrics_outbox"
Blocks = Sequence[dict[str, Any]]


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

    def _add(
        self, channel: str, text: str, blocks: Blocks, key: str | None, thread_ts: str | None = None
    ) -> str:
        ts = f"{next(self._seq)}.000000"
        self.messages.append(ConsoleMessage(channel, ts, text, key, thread_ts))
        where = f"#{channel}" + (f" (thread {thread_ts})" if thread_ts else "")
        self._print(where, blocks, text)
        return ts

    def _print(self, where: str, blocks: Blocks, text: str) -> None:
        body = blocks_to_text(list(blocks)) if blocks else mrkdwn_to_text(text)
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
