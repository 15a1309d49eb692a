"""Errors a user can do something about. Each becomes a reply, never a traceback.

    UserError        the reply explains; `ask` exits 2
    ├── UsageError   the text could not be understood (names the token, says what is allowed)
    ├── NotFound     a record, rule or digest that does not exist
    └── Refusal      understood, but this user may not do it

Failures of the API or storage are revenium.errors / sqlite errors; `ask` exits 1.
"""

from __future__ import annotations


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


def shown(error: UserError) -> str:
    """How a user error reads in a reply: refusals carry their own ⛔, the rest get a ⚠."""
    return error.message if isinstance(error, Refusal) else f"⚠ {error.message}"
