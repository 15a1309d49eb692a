"""Quiet hours in the pass: rows for a quiet channel are queued held (`deferred`) unless
they are critical; when the channel's quiet hours are over (ended, turned off or moved),
one summary is queued and each held row is sent or folded into it, in one transaction,
so that a restart never sends the summary twice nor loses a row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from bot.alerts.outgoing import Post, message_row
from bot.render.quiet import quiet_summary
from rules.model import Severity
from rules.quiet import Held, QuietHours, quiet_now, settle
from storage import outbox as O
from storage import quiet as Q


def gate(
    rows: Sequence[O.Outgoing], severity: Severity, hours: Sequence[QuietHours], now: datetime
) -> list[O.Outgoing]:
    """Hold what would post in quiet hours; critical alerts always post."""
    if severity == "critical" or not hours:
        return list(rows)
    return [replace(r, deferred=True) if quiet_now(hours, r.channel, now) else r for r in rows]


def end_quiet(db: Database, now: datetime) -> int:
    """For each channel no longer quiet that holds rows: the summary and the rows it frees."""
    hours = Q.list_quiet(db)
    waiting: dict[str, list[O.OutboxRow]] = {}
    for row in O.deferred(db):
        if not quiet_now(hours, row.channel, now):
            waiting.setdefault(row.channel, []).append(row)
    queued = 0
    for channel, rows in waiting.items():
        setting = next((h for h in hours if h.channel == channel), None)
        ending = settle([_held(r) for r in rows])
        ids = {r.key: r.id for r in rows}
        body = Post(quiet_summary(ending, setting, now))
        key = json.dumps(["quiet", channel, rows[0].id])  # the first held row: once per night
        summary = message_row(
            key, channel, body, thread=None, kind="quiet_summary", subject="", at=now
        )
        send, fold = [ids[k] for k in ending.send], [ids[k] for k in ending.fold]
        queued += O.end_deferral(db, summary, send, fold, now)
    return queued


def _held(row: O.OutboxRow) -> Held:
    return Held(row.key, row.kind, row.subject, _group(row.key), row.thread_key, row.created_at)


def _group(key: str) -> Any:
    """A notification's key is [subject, group, kind, slot]; other rows have no group."""
    try:
        parts = json.loads(key)
    except ValueError:
        return None
    return parts[1] if isinstance(parts, list) and len(parts) == 4 else None
