"""What a command answers with, before it is rendered for Slack or a terminal."""

from __future__ import annotations

from collections.abc import Callable
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
    # The whole answer when part of it may be slow (a rule card's backtest): Slack shows
    # this reply first if `later` takes long, then replaces it; shells wait for `later`.
    later: Callable[[], Reply] | None = field(default=None, compare=False)

    def complete(self) -> Reply:
        """The whole answer, its slow part included."""
        return self if self.later is None else self.later()


# Who the local shells act as: the operator of this host, who holds the database and so
# has full control already; the admin check lets them change rules. Slack user ids never
# contain `_`, so no request from Slack can claim to be one of them.
CONSOLE_USER, CLI_USER = "U_CONSOLE", "U_CLI"
OPERATORS = {CONSOLE_USER: "the shell operator (console)", CLI_USER: "the shell operator (ask)"}


def who(user: str) -> str:
    """A user as an audit line or a message names them: the shell operator in words."""
    return OPERATORS.get(user, user)


@dataclass(frozen=True)
class Context:
    """Who asked, and where."""

    user: str = CONSOLE_USER
    channel: str = "C_CONSOLE"
    team: str = ""
