"""One entry for every `/imgmetrics` text, whoever typed it: Slack, the console or `ask`.

parse → route → answer. The Runtime holds what commands need (settings, clock,
metrics source) so that handlers stay short and testable.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.answers import answer
from bot.config import Settings
from bot.parse import Command, parse
from bot.reply import Context, Reply
from revenium.clock import Clock
from revenium.source import MetricsSource


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    source: MetricsSource


def handle(text: str, ctx: Context, rt: Runtime, *, offset: int = 0) -> Reply:
    """Answer one command. Raises bot.errors.UserError for the user's mistakes.

    `offset` pages through `list` (the Next button)."""
    return execute(parse(text, now=rt.clock.now(), tz=rt.settings.tz), ctx, rt, offset=offset)


def execute(cmd: Command, ctx: Context, rt: Runtime, *, offset: int = 0) -> Reply:
    return answer(cmd, rt.source, rt.clock.now(), offset=offset)
