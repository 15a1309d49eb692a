"""Budgets in SQLite: specs, and the thresholds latched per period (with the forecast flag)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlite_utils import Database

from rules.model import Budget
from storage.alerts import DuplicateName
from storage.outbox import Outgoing, enqueue, to_us
from storage.txn import write_txn


def add_budget(db: Database, budget: Budget, now: datetime, *, replace: bool = False) -> None:
    """Store a budget; raises DuplicateName unless `replace` (its latches are kept)."""
    with write_txn(db):
        found = db.conn.execute("SELECT 1 FROM alert_budgets WHERE name = ?", (budget.name,))
        if found.fetchone() and not replace:
            raise DuplicateName(f"a budget named `{budget.name}` exists already")
        db.conn.execute(
            "INSERT INTO alert_budgets (name, spec, created_by, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET spec = excluded.spec",
            (budget.name, json.dumps(budget.to_dict()), budget.created_by, to_us(now)),
        )


def get_budget(db: Database, name: str) -> Budget | None:
    row = db.conn.execute("SELECT spec FROM alert_budgets WHERE name = ?", (name,)).fetchone()
    return None if row is None else Budget.from_dict(json.loads(row[0]))


def list_budgets(db: Database) -> list[Budget]:
    rows = db.conn.execute("SELECT spec FROM alert_budgets ORDER BY name").fetchall()
    return [Budget.from_dict(json.loads(spec)) for (spec,) in rows]


def delete_budget(db: Database, name: str) -> bool:
    with write_txn(db):
        gone = db.conn.execute("DELETE FROM alert_budgets WHERE name = ?", (name,)).rowcount
        db.conn.execute("DELETE FROM alert_budget_latches WHERE budget = ?", (name,))
    return gone > 0


def budget_latches(db: Database, name: str, period_start: datetime) -> tuple[frozenset[int], bool]:
    """Thresholds already posted in the period starting at `period_start`, and the forecast."""
    row = db.conn.execute(
        "SELECT thresholds, forecast_sent FROM alert_budget_latches"
        " WHERE budget = ? AND period_start = ?",
        (name, to_us(period_start)),
    ).fetchone()
    if row is None:
        return frozenset(), False
    return frozenset(json.loads(row[0])), bool(row[1])


def commit_budget(
    db: Database,
    name: str,
    period_start: datetime,
    *,
    latched: frozenset[int],
    forecast_sent: bool,
    outgoing: Sequence[Outgoing],
    now: datetime,
) -> int:
    """Latch thresholds (and the forecast) together with their outbox rows."""
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_budget_latches (budget, period_start, thresholds, forecast_sent)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (budget, period_start) DO UPDATE SET"
            " thresholds = excluded.thresholds, forecast_sent = excluded.forecast_sent",
            (name, to_us(period_start), json.dumps(sorted(latched)), int(forecast_sent)),
        )
        return enqueue(db, outgoing, now)
