"""What a command answers with, before it is rendered for Slack or a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply: a PNG chart (thread) or a CSV export (DM)."""

    filename: str
    content: bytes
    title: str
    to_dm: bool = False


@dataclass(frozen=True)
class Reply:
    text: str  # Slack's top-level `text`, always set: a fallback, escaped as mrkdwn is
    blocks: list[dict[str, Any]]  # Block Kit
    data: dict[str, Any] = field(default_factory=dict)  # `ask --json` payload
    share: bool = False  # post in channel instead of ephemeral
    files: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Context:
    """Who asked, and where."""

    user: str = "U_CONSOLE"
    channel: str = "C_CONSOLE"
    team: str = ""
