"""Block Kit building blocks, kept within Slack's limits, and escaping.

Every user or API string in mrkdwn goes through `escape`, so that a model named
`<!channel>` renders inert; so does every top-level text, and every error shown
(bot/slack/workers.py:tell). plain_text (headers, button labels) Slack never parses.
Limits (DESIGN.md §3): 50 blocks, 3,000-character section text, 10 fields, 25 actions,
150-character headers, 2,000-character button values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.render.terminal import blocks_to_text
from bot.reply import Attachment, Reply

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELDS = 10
MAX_ACTIONS = 25
MAX_HEADER = 150
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_ELEMENTS = 10


@dataclass(frozen=True)
class Message:
    text: str  # top-level text: notifications and screen readers; escaped, as mrkdwn is
    blocks: list[Block]

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: object) -> str:
    """Escape Slack's three control characters in untrusted text."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER)}}


def section(text: str, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION)}}
    if fields:
        block["fields"] = [{"type": "mrkdwn", "text": clip(f, 2000)} for f in fields[:MAX_FIELDS]]
    return block


def context(*texts: str) -> Block:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(text, 75)},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        element["style"] = style
    return element


def actions(*buttons: dict[str, Any]) -> Block:
    return {"type": "actions", "elements": list(buttons)[:MAX_ACTIONS]}


def fit(blocks: list[Block]) -> list[Block]:
    """Drop blocks beyond Slack's 50, keeping the last (usually the buttons)."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    return [*blocks[: MAX_BLOCKS - 2], context("_…more rows left out_"), blocks[-1]]


def slack_date(when: datetime, tz: str, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time that each reader's Slack shows in their own zone; fallback in the asked zone."""
    fallback = when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def reply(
    blocks: list[Block],
    data: Mapping[str, Any] | None = None,
    *,
    share: bool = False,
    lead: int | None = 2,
    files: tuple[Attachment, ...] = (),
) -> Reply:
    """A Reply within Block Kit's limits. Its top-level text (what notifications and screen
    readers show) is what its first `lead` blocks say (None: all of them), escaped again:
    Slack parses that text as it parses mrkdwn."""
    blocks = fit(blocks)
    text = escape(blocks_to_text(blocks if lead is None else blocks[:lead]))
    return Reply(text=text, blocks=blocks, data=dict(data or {}), share=share, files=files)
