"""The note an alert leaves in the thread of the alert that holds it back (inhibition)."""

from __future__ import annotations

from bot.render import blocks as B
from bot.render.alert import headline
from bot.render.blocks import Message
from rules.model import Rule
from rules.notification import Notification

_WHY = {
    "inhibits": "this rule inhibits `{rule}`",
    "severity": "a critical alert on the same scope holds back warnings",
    "provider": "an alert on the whole provider holds back its per-model alerts",
}


def held(note: Notification, rule: Rule | None) -> Message:
    """`⏸ Held back: runaway dall-e-3 spent $120 … — an alert on the whole provider …`."""
    why, _, holder = note.detail.partition(":")
    reason = _WHY.get(why, "held back by this alert").format(rule=B.escape(note.subject))
    body = (
        f"⏸ *Held back:* *{B.escape(note.subject)}* — {headline(note, rule)}. "
        f"Not posted on its own while `{B.escape(holder)}` fires ({reason}); it posts if it "
        "still fires when this one resolves."
    )
    return Message(f"⏸ Held back: {B.escape(note.subject)}", [B.section(body)])
