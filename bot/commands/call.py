"""One configuring command being carried out — who, where, when, with which runtime — and
the audit line every change leaves behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from bot.reply import Context, who
from bot.runtime import Runtime
from storage.audit import audit


@dataclass(frozen=True)
class Call:
    ctx: Context
    rt: Runtime
    now: datetime
    raw: str  # the command text (or the button) that asked: kept in the audit log

    @property
    def db(self) -> Database:
        return self.rt.db


def note(call: Call, what: str, subject: str) -> None:
    """The audit line of a change: who (the shell operator in words), what, on which
    subject, the text that asked."""
    audit(call.db, who(call.ctx.user), what, subject, detail=call.raw, now=call.now)
