"""Digests in SQLite: one daily and one weekly per channel, and the last local date posted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime

from sqlite_utils import Database

from rules.model import Digest
from storage.outbox import Outgoing, enqueue, to_us
from storage.txn import write_txn


def digest_kind(digest: Digest) -> str:
    return "daily" if digest.weekday is None else "weekly"


def save_digest(db: Database, digest: Digest) -> None:
    """One daily and one weekly digest per channel; saving again replaces the config but
    keeps the last local date posted (so re-configuring never posts twice in a day)."""
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_digests (channel, kind, spec, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (channel, kind) DO UPDATE SET spec = excluded.spec",
            (
                digest.channel,
                digest_kind(digest),
                json.dumps(digest.to_dict()),
                digest.created_by,
                to_us(digest.created_at),
            ),
        )


def list_digests(db: Database, channel: str | None = None) -> list[Digest]:
    rows = db.conn.execute(
        "SELECT spec FROM alert_digests WHERE ? IS NULL OR channel = ? ORDER BY channel, kind",
        (channel, channel),
    ).fetchall()
    return [Digest.from_dict(json.loads(spec)) for (spec,) in rows]


def delete_digests(db: Database, channel: str, kind: str | None = None) -> int:
    """`digest off`: both kinds of the channel, or one; returns how many were removed."""
    with write_txn(db):
        return int(
            db.conn.execute(
                "DELETE FROM alert_digests WHERE channel = ? AND (? IS NULL OR kind = ?)",
                (channel, kind, kind),
            ).rowcount
        )


def digest_last_posted(db: Database, channel: str, kind: str) -> date | None:
    row = db.conn.execute(
        "SELECT last_local_date FROM alert_digests WHERE channel = ? AND kind = ?", (channel, kind)
    ).fetchone()
    return None if row is None or row[0] is None else date.fromisoformat(row[0])


def commit_digest(
    db: Database,
    channel: str,
    kind: str,
    local_date: date,
    *,
    outgoing: Sequence[Outgoing],
    now: datetime,
) -> int:
    """Mark the local date posted together with the digest's outbox row (none: skipped)."""
    with write_txn(db):
        db.conn.execute(
            "UPDATE alert_digests SET last_local_date = ? WHERE channel = ? AND kind = ?",
            (local_date.isoformat(), channel, kind),
        )
        return enqueue(db, outgoing, now)
