"""The audit log: who changed which rule, budget, digest or silence, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from storage.outbox import from_us, to_us
from storage.txn import write_txn


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    who: str
    what: str  # "rule add", "silence", "budget delete"...
    subject: str
    detail: str


def audit(
    db: Database, who: str, what: str, subject: str, *, detail: str = "", now: datetime
) -> None:
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_audit (at, who, what, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (to_us(now), who, what, subject, detail),
        )


def audit_log(db: Database, subject: str | None = None, limit: int = 50) -> list[AuditEntry]:
    rows = db.conn.execute(
        "SELECT at, who, what, subject, detail FROM alert_audit WHERE ? IS NULL OR subject = ?"
        " ORDER BY id DESC LIMIT ?",
        (subject, subject, limit),
    )
    return [AuditEntry(from_us(a), w, what, s, d) for a, w, what, s, d in rows]
