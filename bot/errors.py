"""Every error imgmetrics meets, and the one way each becomes what a person reads.

    Exception
    ├── UserError                 the user can fix it: the reply says how (`ask` exits 2)
    │   ├── UsageError            text not understood: names the token, says what is allowed
    │   ├── NotFound              a record, rule, budget or digest that does not exist
    │   ├── Refusal               understood, but this user may not do it
    │   └── ConfigError           a setting is missing or wrong: names the variable
    ├── rules.replay.BeyondHistory    a backtest reaching back past the history kept (exit 2)
    ├── revenium.errors.ReveniumError the API failed: key, team, unreachable, rate (exit 1)
    ├── rules.engine.SourceError      the metrics source's own store failed (exit 1)
    ├── sqlite3.Error                 the state database failed (exit 1)
    ├── DeliveryError             a Slack send failed; `retryable` says if trying again may help
    │   └── SlackRateLimited      a 429, with its Retry-After
    └── LookupFailed              users.info could not say who a user is (the check refuses)

`explain` is the only place an error becomes a message and an exit code: Slack replies,
the console, `ask`, `tick`, `sync` and `rules backtest` all ask it. What it does not know
is a bug, for the log, never for a reply.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from revenium.errors import ReveniumError
from rules.engine import SourceError
from rules.replay import BeyondHistory

T = TypeVar("T")


class UserError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(UserError):
    pass


class NotFound(UserError):
    pass


class Refusal(UserError):
    pass


class ConfigError(UserError):
    """A required setting is missing or wrong; the message names the variable."""


# Slack error codes that no retry of the same message can cure: give up at once.
PERMANENT = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "invalid_arguments"}
)


class DeliveryError(Exception):
    """A send failed; the message names Slack's error code, never a token."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code  # Slack's error code, e.g. "not_in_channel"; "" if none came back

    @property
    def retryable(self) -> bool:
        """False when Slack refused the message itself: sending it again cannot work."""
        return self.code not in PERMANENT


class SlackRateLimited(DeliveryError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited: retry after {retry_after:g} s", "ratelimited")
        self.retry_after = retry_after


class LookupFailed(Exception):
    """users.info could not say who the user is."""


@dataclass(frozen=True)
class Failure:
    """An error as a person reads it."""

    message: str  # plain: `ask --json` prints it under "error"
    exit_code: int  # 2: the user's to fix; 1: a service or the storage failed
    refusal: bool = False  # refusals carry their own ⛔

    @property
    def shown(self) -> str:
        """The message with its mark: ⛔ for a refusal, ⚠ for the rest."""
        return self.message if self.refusal else f"⚠ {self.message}"


# (type, exit code, how its message starts), most specific first
_SHOWN: tuple[tuple[type[BaseException], int, str], ...] = (
    (UserError, 2, ""),
    (BeyondHistory, 2, ""),
    (ReveniumError, 1, "Revenium: "),
    (SourceError, 1, "the metrics source failed: "),
    (sqlite3.Error, 1, "storage failed: "),
    (DeliveryError, 1, ""),
)


def explain(error: BaseException) -> Failure | None:
    """What to tell the person who asked; None for anything else (a bug: log it)."""
    for kind, code, lead in _SHOWN:
        if isinstance(error, kind):
            message = error.message if isinstance(error, UserError) else str(error)
            return Failure(lead + message, code, refusal=isinstance(error, Refusal))
    return None


def attempt(work: Callable[[], T]) -> T | Failure:
    """What `work` answers, or the Failure to show instead; a bug is raised on."""
    try:
        return work()
    except Exception as error:
        failure = explain(error)
        if failure is None:
            raise
        return failure
