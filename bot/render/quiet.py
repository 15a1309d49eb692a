"""What a channel reads about quiet hours: the summary posted when they end, and the
answers to `quiet …` commands."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.render import fmt
from bot.render.blocks import Message, context, escape, reply, section
from bot.render.fmt import user
from bot.reply import Reply
from rules.quiet import Ending, Held, QuietHours

LISTED = 15  # alerts named per kind; the rest are counted


def hours_text(hours: QuietHours) -> str:
    return f"{hours.start:%H:%M}–{hours.end:%H:%M} {hours.tz}"


def _alert(h: Held, tz: str, at: str = "%H:%M") -> str:
    group = f" {escape(h.group)}" if h.group is not None else ""
    return f"`{escape(h.subject)}`{group} {fmt.local(h.at, tz, at)}"


def _listed(items: Sequence[str]) -> str:
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def quiet_summary(ending: Ending, hours: QuietHours | None, now: datetime) -> Message:
    """One message when quiet hours end: what fired and resolved meanwhile, what still
    fires (its alert follows), the resolves and budget posts that waited."""
    tz = hours.tz if hours is not None else "UTC"
    over = f"Quiet hours ({hours_text(hours)}) are over" if hours else "Quiet hours were turned off"
    lines = []
    if ending.fired_and_resolved:
        pairs = [
            f"{_alert(f, tz)} → {fmt.local(r.at, tz, '%H:%M')}"
            for f, r in ending.fired_and_resolved
        ]
        lines.append(f"*Fired and resolved meanwhile:* {_listed(pairs)}")
    if ending.still_firing:
        firing = [f"{_alert(f, tz)}" for f in ending.still_firing]
        lines.append(f"*Still firing* (the alerts follow): {_listed(firing)}")
    if ending.resolved:
        lines.append(
            "*Resolved meanwhile* (their messages updated): "
            + _listed([_alert(r, tz) for r in ending.resolved])
        )
    if ending.budgets:
        lines.append("*Budgets:* " + _listed([_alert(b, tz) for b in ending.budgets]))
    if ending.skipped:
        lines.append(f"{fmt.many(ending.skipped, 'reminder')} not sent.")
    head = f"🌅 *{over}.* While they lasted:"
    text = f"🌅 {over}: {len(ending.fired_and_resolved) + len(ending.still_firing)} alerts fired"
    blocks = [section(head), section("\n".join(lines) or "_Nothing but reminders._")]
    blocks.append(context(f"Times in {tz} · critical alerts were posted as usual"))
    return Message(text, blocks)


def quiet_set_reply(hours: QuietHours) -> Reply:
    text = (
        f"🌙 Quiet hours for <#{hours.channel}>: {hours_text(hours)}. Only `severity critical` "
        "alerts post then; when they end, one summary says what fired and resolved meanwhile."
    )
    who = f"Set by {user(hours.created_by)}" if hours.created_by else ""
    return reply([section(text), *([context(who)] if who else [])], {"quiet": hours.to_dict()})


def quiet_off_reply(channel: str, had: bool) -> Reply:
    text = (
        f"🔔 Quiet hours for <#{channel}> turned off: held messages follow with a summary."
        if had
        else f"<#{channel}> has no quiet hours."
    )
    return reply([section(text)], {"quiet": None})


def quiet_list_reply(found: Sequence[QuietHours]) -> Reply:
    if not found:
        lines = ["No quiet hours. Try `quiet 22:00-07:00 tz Europe/Berlin`."]
    else:
        lines = [f"• <#{h.channel}> {hours_text(h)}" for h in found]
    return reply(
        [section("*Quiet hours*"), section("\n".join(lines))],
        {"quiet": [h.to_dict() for h in found]},
    )
