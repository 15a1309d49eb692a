"""What the outbox holds for each message, as a typed value: a new post, a reply in the
thread of the message it belongs to, or a resolve (edit that message, then reply).

`outgoing(note)` renders a Notification into an outbox row; the dispatcher reads the row
back with `payload_of`. The stored JSON keeps one shape per kind (`op` names it), so rows
queued by an earlier version deliver unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.render import alert as R
from bot.render import notice as N
from bot.render.blocks import Message
from bot.render.held import held
from rules.model import Budget, Rule
from rules.notification import NoteKind, Notification
from storage import outbox as O


@dataclass(frozen=True)
class Post:
    """A new top-level message."""

    message: Message


@dataclass(frozen=True)
class ThreadReply:
    """A reply in the thread of the row `thread_key` names (top-level if that never posted)."""

    message: Message


@dataclass(frozen=True)
class Resolve:
    """Edit the message of `thread_key` into `update`, then say `reply` in its thread."""

    update: Message
    reply: Message


Payload = Post | ThreadReply | Resolve


def to_json(payload: Payload) -> dict[str, Any]:
    if isinstance(payload, Resolve):
        return {"op": "resolve", "update": _dump(payload.update), "reply": _dump(payload.reply)}
    op = "reply" if isinstance(payload, ThreadReply) else "post"
    return {"op": op, **_dump(payload.message)}


def payload_of(row: O.OutboxRow) -> Payload:
    data = row.payload
    op = data.get("op", "post")
    if op == "resolve":
        return Resolve(_load(data["update"]), _load(data["reply"]))
    return ThreadReply(_load(data)) if op == "reply" else Post(_load(data))


def _dump(message: Message) -> dict[str, Any]:
    return {"text": message.text, "blocks": message.blocks}


def _load(data: dict[str, Any]) -> Message:
    return Message(data.get("text") or "", list(data.get("blocks") or []))


def payload(note: Notification, rule: Rule | None = None, budget: Budget | None = None) -> Payload:
    """How a notification is delivered, rendered."""
    kind = note.kind
    if kind is NoteKind.RESOLVED:
        return Resolve(R.resolved(note, rule), R.resolved_reply(note, rule))
    if kind is NoteKind.SOURCE_RECOVERED:
        return Resolve(N.source_recovered(note), N.source_recovered_reply(note))
    if kind in _IN_THREAD:
        return ThreadReply(_IN_THREAD[kind](note, rule))
    if kind in (NoteKind.BUDGET_THRESHOLD, NoteKind.BUDGET_FORECAST):
        return Post(N.budget_message(note, budget))
    if kind is NoteKind.SOURCE_FAILING:
        return Post(N.source_failing(note))
    return Post(_POSTED[kind](note, rule))


_IN_THREAD = {
    NoteKind.REMINDER: R.reminder,
    NoteKind.SILENCE_ENDED: R.silence_ended,
    NoteKind.HELD: held,
}
_POSTED = {NoteKind.FIRED: R.fired, NoteKind.MORE: R.more}


def outgoing(
    note: Notification, *, rule: Rule | None = None, budget: Budget | None = None
) -> O.Outgoing:
    """A notification as an outbox row: its key, thread, and the rendered message."""
    return O.Outgoing(
        key=note.key,
        channel=note.channel,
        payload=to_json(payload(note, rule, budget)),
        thread_key=note.thread_key,
        kind=note.kind.value,
        subject=note.subject,
        at=note.at,
    )


def fanned_out(note: Notification, channel: str) -> O.Outgoing:
    """A data-source note for one channel: the channel is part of its key and thread."""
    item = outgoing(note)
    thread = None if note.thread_key is None else f"{note.thread_key}@{channel}"
    return O.Outgoing(
        f"{note.key}@{channel}", channel, item.payload, thread, item.kind, "", note.at
    )


def message_row(
    key: str,
    channel: str,
    body: Payload,
    *,
    thread: str | None,
    kind: str,
    subject: str,
    at: datetime,
) -> O.Outgoing:
    """An outbox row for a message that no Notification describes (silences, digests)."""
    return O.Outgoing(key, channel, to_json(body), thread, kind, subject, at)
