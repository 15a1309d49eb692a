"""What every command and pass is handed: settings, the clock, the metrics source, where
backtests read history, the state database, and who may change rules. Built once at
start-up (bot/cli/wiring.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlite_utils import Database

from bot.config import Settings
from revenium.clock import Clock
from revenium.source import MetricsSource
from rules.history import Archive
from rules.streamed import StreamArchive


class Databases(Protocol):
    """The calling thread's connection (storage.db.ThreadDatabases, or one shared db)."""

    def get(self) -> Database: ...


@dataclass(frozen=True)
class OneDatabase:
    """A single connection for single-threaded use (tests, `tick`, in-memory dbs)."""

    db: Database

    def get(self) -> Database:
        return self.db


class AdminCheck(Protocol):
    """Who may change rules, budgets, digests and silences (bot/commands/admins.py)."""

    def require(self, user: str, what: str) -> None:
        """Raise bot.errors.Refusal unless `user` may change `what`."""
        ...


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    source: MetricsSource
    dbs: Databases | None = None  # rules, alerts, digests: storage/alerts.py and siblings
    admins: AdminCheck | None = None  # None: only IMGMETRICS_ADMINS and the operator
    archive: Archive | None = None  # backtests' history (the mirror); None: `source` streamed

    @property
    def history(self) -> Archive:
        """Where backtests and rule cards read the past."""
        return self.archive if self.archive is not None else StreamArchive(self.source)

    @property
    def db(self) -> Database:
        """This thread's connection to the state database."""
        if self.dbs is None:
            raise RuntimeError("this Runtime was built without a database")
        return self.dbs.get()

    def close(self) -> None:
        """The source's connections and this process's database connections."""
        self.source.close()
        close = getattr(self.dbs, "close", None)
        if close is not None:
            close()
