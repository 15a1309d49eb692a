"""Silences in SQLite: who muted which rule (or group) until when; ended ones are kept a
while, since the engine says "silence ended, still firing" from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from rules.silences import Silence
from rules.thresholds import Group
from storage.alerts import group_key, group_of
from storage.outbox import Outgoing, enqueue, from_us, to_us
from storage.txn import write_txn


@dataclass(frozen=True)
class StoredSilence:
    id: int
    silence: Silence
    created_at: datetime
    announced: bool


def add_silence(db: Database, silence: Silence, now: datetime) -> int:
    with write_txn(db):
        cur = db.conn.execute(
            "INSERT INTO alert_silences (rule, grp, until, by, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                silence.rule,
                group_key(silence.group),
                to_us(silence.until),
                silence.by,
                silence.reason,
                to_us(now),
            ),
        )
        return int(cur.lastrowid or 0)


def end_silences(db: Database, rule: str, group: Group | None, now: datetime) -> int:
    """`unsilence`: end now the active silences of the rule (of one group, or all)."""
    with write_txn(db):
        return int(
            db.conn.execute(
                "UPDATE alert_silences SET until = ? WHERE rule = ? AND until > ?"
                " AND (? = 'null' OR grp = ?)",
                (to_us(now), rule, to_us(now), group_key(group), group_key(group)),
            ).rowcount
        )


def silences(db: Database, rule: str | None = None) -> list[StoredSilence]:
    """Silences, ended ones too (the engine says "silence ended" once from them)."""
    rows = db.conn.execute(
        "SELECT id, rule, grp, until, by, reason, created_at, announced FROM alert_silences"
        " WHERE ? IS NULL OR rule = ? ORDER BY id",
        (rule, rule),
    ).fetchall()
    return [
        StoredSilence(i, Silence(r, group_of(g), from_us(u), b, why), from_us(c), bool(a))
        for i, r, g, u, b, why, c, a in rows
    ]


def active_silences(db: Database, now: datetime) -> list[StoredSilence]:
    return [s for s in silences(db) if s.silence.active(now)]


def mark_announced(
    db: Database, silence_ids: Sequence[int], outgoing: Sequence[Outgoing], now: datetime
) -> int:
    """The silences' thread notes are queued: mark them announced in the same transaction."""
    with write_txn(db):
        db.conn.executemany(
            "UPDATE alert_silences SET announced = 1 WHERE id = ?", [(i,) for i in silence_ids]
        )
        return enqueue(db, outgoing, now)


def forget_silences(db: Database, before: datetime) -> int:
    """Drop silences that ended before `before` (housekeeping)."""
    with write_txn(db):
        return int(
            db.conn.execute("DELETE FROM alert_silences WHERE until < ?", (to_us(before),)).rowcount
        )
