"""Delivery state: the outbox (one row per message key), the message log (key -> channel, ts)
and the lease that lets one process at a time evaluate and post.

Row life: pending → attempted (claimed just before the post) → sent; a failure goes to
failed (retried at next_attempt_at) and after 24 h to given_up. An `attempted` row found
at start-up may or may not have reached Slack: the dispatcher looks before re-sending.
Quiet hours hold rows as `deferred`; when they end each becomes pending or `summarized`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlite_utils import Database

from storage.txn import write_txn

Status = Literal["pending", "attempted", "sent", "failed", "given_up", "deferred", "summarized"]
UNSETTLED = ("pending", "attempted", "failed")
WAITING = (*UNSETTLED, "deferred")  # not in Slack yet, but will be (or folded into a summary)
DONE = ("sent", "given_up", "summarized")
LEASE = "scheduler"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(when: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch."""
    if when.tzinfo is None:
        raise ValueError("stored times must be timezone-aware")
    return (when - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class Outgoing:
    """A message to queue. `payload` is opaque here (bot/notify.py gives it meaning)."""

    key: str  # unique: the Notification key (or a digest's, a silence note's)
    channel: str
    payload: dict[str, Any]
    thread_key: str | None = None  # the message this one edits or replies to
    kind: str = ""  # fired, resolved, reminder, digest... (for `rule show` and the digest)
    subject: str = ""  # rule or budget name
    at: datetime | None = None  # when it happened (default: when queued)
    deferred: bool = False  # held by the channel's quiet hours


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    channel: str
    kind: str
    subject: str
    payload: dict[str, Any]
    thread_key: str | None
    status: Status
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    first_attempt_at: datetime | None = None
    last_error: str | None = None
    ts: str | None = None
    sent_at: datetime | None = None


_COLUMNS = (
    "id, key, channel, kind, subject, payload, thread_key, status, attempts, created_at,"
    " next_attempt_at, first_attempt_at, last_error, ts, sent_at"
)


def _row(values: Sequence[Any]) -> OutboxRow:
    (
        i,
        key,
        channel,
        kind,
        subject,
        payload,
        thread,
        status,
        attempts,
        created,
        nxt,
        first,
        error,
        ts,
        sent,
    ) = values
    return OutboxRow(
        i,
        key,
        channel,
        kind,
        subject,
        json.loads(payload),
        thread,
        status,
        attempts,
        from_us(created),
        from_us(nxt),
        None if first is None else from_us(first),
        error,
        ts,
        None if sent is None else from_us(sent),
    )


def enqueue(db: Database, items: Sequence[Outgoing], now: datetime) -> int:
    """Queue messages; a key queued before is ignored. Returns how many were new.

    Call inside the transaction that makes the change the messages announce.
    """
    if not items:
        return 0
    with write_txn(db):
        before = db.conn.total_changes
        db.conn.executemany(
            "INSERT OR IGNORE INTO alert_outbox (key, channel, kind, subject, payload,"
            " thread_key, status, attempts, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            [
                (
                    o.key,
                    o.channel,
                    o.kind,
                    o.subject,
                    json.dumps(o.payload),
                    o.thread_key,
                    "deferred" if o.deferred else "pending",
                    to_us(o.at or now),
                    to_us(now),
                )
                for o in items
            ],
        )
        return int(db.conn.total_changes - before)


def unsettled(db: Database) -> list[OutboxRow]:
    """Rows not yet sent nor given up, in queue order."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alert_outbox WHERE status IN {UNSETTLED} ORDER BY id"
    )
    return [_row(r) for r in rows]


def backlog(db: Database) -> tuple[int, datetime | None]:
    """How many rows are not yet sent nor given up, and when the oldest of them was queued."""
    count, oldest = db.conn.execute(
        f"SELECT COUNT(*), MIN(created_at) FROM alert_outbox WHERE status IN {UNSETTLED}"
    ).fetchone()
    return int(count), None if oldest is None else from_us(oldest)


def get(db: Database, key: str) -> OutboxRow | None:
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM alert_outbox WHERE key = ?", (key,)).fetchone()
    return None if row is None else _row(row)


def claim(db: Database, row_id: int, now: datetime, *, again: bool = False) -> bool:
    """Mark a pending or failed row attempted, just before posting; False if someone else did.

    `again`: also an `attempted` row, once the caller has made sure it never reached Slack.
    An attempted row's next_attempt_at is when it was claimed.
    """
    statuses = ("pending", "failed", "attempted") if again else ("pending", "failed")
    with write_txn(db):
        cur = db.conn.execute(
            "UPDATE alert_outbox SET status = 'attempted', attempts = attempts + 1,"
            " first_attempt_at = COALESCE(first_attempt_at, ?), next_attempt_at = ?"
            f" WHERE id = ? AND status IN {statuses}",
            (to_us(now), to_us(now), row_id),
        )
        return cur.rowcount == 1


def mark_sent(db: Database, row_id: int, ts: str | None, now: datetime) -> None:
    """Delivered; a top-level message is logged so later resolves and replies find it."""
    with write_txn(db):
        row = db.conn.execute(
            "UPDATE alert_outbox SET status = 'sent', ts = ?, sent_at = ?, last_error = NULL"
            " WHERE id = ? RETURNING key, channel, thread_key",
            (ts, to_us(now), row_id),
        ).fetchone()
        if row is not None and ts is not None and row[2] is None:
            record_message(db, row[0], row[1], ts, now)


def retry_at(db: Database, row_id: int, when: datetime, error: str, *, count: bool = True) -> None:
    """Back to the queue until `when`. `count=False` (a 429): the attempt does not count."""
    with write_txn(db):
        db.conn.execute(
            "UPDATE alert_outbox SET status = ?, next_attempt_at = ?, last_error = ?,"
            " attempts = attempts - ? WHERE id = ?",
            ("failed" if count else "pending", to_us(when), error, 0 if count else 1, row_id),
        )


def give_up(db: Database, row_id: int, error: str) -> None:
    with write_txn(db):
        db.conn.execute(
            "UPDATE alert_outbox SET status = 'given_up', last_error = ? WHERE id = ?",
            (error, row_id),
        )


def deferred(db: Database) -> list[OutboxRow]:
    """Rows held by quiet hours, in queue order."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alert_outbox WHERE status = 'deferred' ORDER BY id"
    )
    return [_row(r) for r in rows]


def end_deferral(
    db: Database, summary: Outgoing, send: Sequence[int], fold: Sequence[int], now: datetime
) -> int:
    """Quiet hours ended: queue `summary`, then the `send` rows after it (in their order, so
    the summary reads first), and fold the others into it; all at once. Returns 1 if the
    summary was new."""
    with write_txn(db):
        queued = enqueue(db, [summary], now)
        db.conn.executemany(
            "UPDATE alert_outbox SET status = 'summarized' WHERE id = ? AND status = 'deferred'",
            [(i,) for i in fold],
        )
        db.conn.executemany(
            "UPDATE alert_outbox SET status = 'pending', next_attempt_at = ?,"
            " id = (SELECT MAX(id) + 1 FROM alert_outbox) WHERE id = ? AND status = 'deferred'",
            [(to_us(now), i) for i in send],
        )
        return queued


def deliveries(db: Database, subject: str, limit: int = 10) -> list[OutboxRow]:
    """A rule's or budget's latest messages and their status (for `rule show`), newest first."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alert_outbox WHERE subject = ? ORDER BY id DESC LIMIT ?",
        (subject, limit),
    )
    return [_row(r) for r in rows]


def happened_since(db: Database, since: datetime, kinds: Sequence[str] = ()) -> list[OutboxRow]:
    """Messages queued for events at or after `since` (e.g. alerts fired and resolved in
    the last 24 h, for the digest), oldest first, whatever their delivery status."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM alert_outbox WHERE created_at >= ? ORDER BY id", (to_us(since),)
    )
    found = [_row(r) for r in rows]
    return [r for r in found if not kinds or r.kind in kinds]


def prune(db: Database, before: datetime) -> int:
    """Forget settled rows created before `before` (their keys may then be queued again)."""
    with write_txn(db):
        return int(
            db.conn.execute(
                f"DELETE FROM alert_outbox WHERE status IN {DONE} AND created_at < ?",
                (to_us(before),),
            ).rowcount
        )


# -- the message log ------------------------------------------------------------------------


def record_message(db: Database, key: str, channel: str, ts: str, now: datetime) -> None:
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_messages (key, channel, ts, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET channel = excluded.channel, ts = excluded.ts",
            (key, channel, ts, to_us(now)),
        )


def message_for(db: Database, key: str) -> tuple[str, str] | None:
    """(channel, ts) of the message posted for `key`: the one a resolve edits."""
    row = db.conn.execute("SELECT channel, ts FROM alert_messages WHERE key = ?", (key,))
    found = row.fetchone()
    return None if found is None else (found[0], found[1])


# -- the lease ----------------------------------------------------------------------------------


def take_lease(db: Database, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the single-writer lease; False while another holder's is unexpired."""
    with write_txn(db):
        row = db.conn.execute(
            "SELECT holder, expires_at FROM alert_lease WHERE name = ?", (LEASE,)
        ).fetchone()
        if row is not None and row[0] != holder and row[1] > to_us(now):
            return False
        db.conn.execute(
            "INSERT INTO alert_lease (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at",
            (LEASE, holder, to_us(now + ttl)),
        )
        return True


def release_lease(db: Database, holder: str) -> None:
    with write_txn(db):
        db.conn.execute("DELETE FROM alert_lease WHERE name = ? AND holder = ?", (LEASE, holder))
