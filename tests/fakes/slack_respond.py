"""response_url endpoints: what Bolt's respond() posts after an ack, and what users see.

As on Slack: a response_url takes JSON, at most 5 times; replies are ephemeral to the
user unless `response_type: in_channel`; a button's response_url may replace or delete
the message that carried the button, a command's may replace its own ephemeral answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_state import JSON, SlackError, Workspace

MAX_USES = 5


@dataclass
class ResponseUrl:
    channel: str | None  # None: posts are only recorded
    user: str | None
    message_ts: str | None  # the message whose button gave this response_url
    posts: list[JSON] = field(default_factory=list)
    answer: JSON | None = None  # the ephemeral this URL last posted (a command's answer)

    def post(self, ws: Workspace, body: bytes) -> tuple[int, JSON]:
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return 400, {"ok": False, "error": "invalid_payload"}
        if len(self.posts) >= MAX_USES:
            return 404, {"ok": False, "error": "used_url"}
        self.posts.append(payload)
        if self.channel is not None:
            try:
                self._show(ws, self.channel, payload)
            except SlackError as err:
                return 404, err.body()
        return 200, {"ok": True}

    def _show(self, ws: Workspace, channel: str, payload: JSON) -> None:
        ch = ws.channel(channel)
        text, blocks = str(payload.get("text") or ""), payload.get("blocks") or []
        if self.message_ts and payload.get("delete_original"):
            ws.delete(ws.find(ch.id, self.message_ts))
        elif self.message_ts and payload.get("replace_original"):
            msg = ws.find(ch.id, self.message_ts)
            msg.text, msg.blocks, msg.edits = text, blocks, msg.edits + 1
        elif payload.get("response_type") == "in_channel":
            ws.post(ch, text, blocks=blocks, thread_ts=payload.get("thread_ts"))
        elif self.answer is not None and payload.get("replace_original"):
            self.answer.update(text=text, blocks=blocks)
        else:
            seen: JSON = {"channel": ch.id, "user": self.user, "message_ts": ws.next_ts()}
            seen |= {"thread_ts": payload.get("thread_ts"), "text": text, "blocks": blocks}
            ws.ephemerals.setdefault(ch.id, []).append(seen)
            self.answer = seen
