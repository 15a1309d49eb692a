"""Quiet hours in SQLite: one setting per channel (rules/quiet.py). The messages they hold
are outbox rows (storage/outbox.py: `deferred`, `end_deferral`)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from rules.quiet import QuietHours
from storage.outbox import to_us
from storage.txn import write_txn


def set_quiet(db: Database, hours: QuietHours, now: datetime) -> None:
    """Set (or replace) the channel's quiet hours."""
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_quiet (channel, spec, created_by, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel) DO UPDATE SET spec = excluded.spec,"
            " created_by = excluded.created_by, created_at = excluded.created_at",
            (hours.channel, json.dumps(hours.to_dict()), hours.created_by, to_us(now)),
        )


def quiet_off(db: Database, channel: str) -> bool:
    """No quiet hours for the channel any more; False if it had none."""
    with write_txn(db):
        gone = db.conn.execute("DELETE FROM alert_quiet WHERE channel = ?", (channel,)).rowcount
    return gone > 0


def list_quiet(db: Database) -> list[QuietHours]:
    rows = db.conn.execute("SELECT spec FROM alert_quiet ORDER BY channel").fetchall()
    return [QuietHours.from_dict(json.loads(spec)) for (spec,) in rows]
