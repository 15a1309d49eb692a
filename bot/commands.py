"""One entry for every `/imgmetrics` text, whoever typed it: Slack, the console or `ask`.

parse → route → answer. The Runtime holds what commands need (settings, clock,
metrics source) so that handlers stay short and testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from bot.admins import Admins
from bot.answers import answer
from bot.config import Settings
from bot.parse import RAW_VERBS, Command, parse
from bot.reply import Context, Reply
from revenium.clock import Clock
from revenium.source import MetricsSource


class Databases(Protocol):
    """The calling thread's connection (storage.db.ThreadDatabases, or one shared db)."""

    def get(self) -> Database: ...


@dataclass(frozen=True)
class OneDatabase:
    """A single connection for single-threaded use (tests, `tick`, in-memory dbs)."""

    db: Database

    def get(self) -> Database:
        return self.db


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    source: MetricsSource
    dbs: Databases | None = None  # rules, alerts, digests: storage/alerts.py and siblings
    admins: Admins | None = None  # who may change them; built from settings on first use

    @property
    def db(self) -> Database:
        """This thread's connection to the state database."""
        if self.dbs is None:
            raise RuntimeError("this Runtime was built without a database")
        return self.dbs.get()


def handle(text: str, ctx: Context, rt: Runtime, *, offset: int = 0) -> Reply:
    """Answer one command. Raises bot.errors.UserError for the user's mistakes.

    `offset` pages through `list` (the Next button)."""
    return execute(parse(text, now=rt.clock.now(), tz=rt.settings.tz), ctx, rt, offset=offset)


def execute(cmd: Command, ctx: Context, rt: Runtime, *, offset: int = 0) -> Reply:
    if cmd.verb in RAW_VERBS:  # rule, budget, digest, silence, unsilence
        from bot.rule_commands import run

        return run(cmd, ctx, rt)
    return answer(cmd, rt.source, rt.clock.now(), offset=offset)
