"""The outbox's payloads are typed: each kind of notification is delivered one way, and a
row's JSON reads back as the value it was written from — rows an earlier version queued too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.alerts.outgoing import Post, Resolve, ThreadReply, payload, payload_of, to_json
from bot.render.blocks import Message
from rules.notification import NoteKind, Notification, Resolution
from rules.state import Cause
from storage.outbox import OutboxRow
from tests.support.world import spend_rule

T0 = datetime(2026, 11, 2, 12, tzinfo=UTC)


def row(data: dict[str, object]) -> OutboxRow:
    return OutboxRow(1, "k", "C1", "fired", "runaway", data, None, "pending", 0, T0, T0, None, None)


def note(kind: NoteKind, **extra: object) -> Notification:
    base = {"group": "dall-e-3", "value": 88.1, "threshold": 50.0, "fired_at": T0, "peak": 90.0}
    return Notification(kind, "runaway", T0.isoformat(), T0, "C1", **{**base, **extra})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "shape"),
    [
        (NoteKind.FIRED, Post),
        (NoteKind.MORE, Post),
        (NoteKind.SOURCE_FAILING, Post),
        (NoteKind.REMINDER, ThreadReply),
        (NoteKind.SILENCE_ENDED, ThreadReply),
        (NoteKind.RESOLVED, Resolve),
        (NoteKind.SOURCE_RECOVERED, Resolve),
    ],
)
def test_each_kind_is_delivered_one_way_and_reads_back_as_written(
    kind: NoteKind, shape: type
) -> None:
    written = payload(note(kind), spend_rule())
    assert isinstance(written, shape)
    assert payload_of(row(to_json(written))) == written


def test_rows_queued_by_an_earlier_version_read_back() -> None:
    old_post = {"op": "post", "text": "hi", "blocks": [{"type": "divider"}]}
    old_resolve = {"op": "resolve", "update": {"text": "done"}, "reply": {"text": "why"}}
    assert payload_of(row(old_post)) == Post(Message("hi", [{"type": "divider"}]))
    assert payload_of(row(old_resolve)) == Resolve(Message("done", []), Message("why", []))
    assert payload_of(row({"text": "no op at all"})) == Post(Message("no op at all", []))


def test_a_resolve_says_why_from_its_typed_resolution() -> None:
    rule = spend_rule()
    said = {
        cause: payload(note(NoteKind.RESOLVED, resolution=Resolution(cause, "U0MARIA")), rule)
        for cause in Cause
    }
    texts = {cause: p.reply.text for cause, p in said.items() if isinstance(p, Resolve)}
    assert "below the recovery threshold" in texts[Cause.RECOVERED]
    assert "no traffic in the window" in texts[Cause.NO_TRAFFIC]
    assert "rule deleted by @U0MARIA" in texts[Cause.DELETED]
    assert "rule edited by @U0MARIA" in texts[Cause.EDITED]
