"""What a channel reads from budgets and about the data source: threshold and forecast
posts, "the metrics source is failing" and its recovery. Alerts are bot/alert_render.py's.
"""

from __future__ import annotations

from datetime import timedelta

from bot.grammar.query_text import format_query
from bot.render import blocks as B
from bot.render import fmt
from bot.render.blocks import Message
from bot.render.fmt import lasted
from rules.model import Budget
from rules.notification import NoteKind, Notification


def budget_message(note: Notification, budget: Budget | None) -> Message:
    name = B.escape(note.subject)
    spent, amount = fmt.money(note.value), fmt.money(note.threshold)
    label = note.window.label if note.window is not None else "this period"
    tz = note.window.tz if note.window is not None else "UTC"
    used = "" if not note.threshold else f"{(note.value or 0) / note.threshold * 100:.0f} %"
    pace = pace_words(note)
    if note.kind is NoteKind.BUDGET_FORECAST:
        head = f"📈 *Budget `{name}`* — {pace}, over the {amount} budget"
        text = f"📈 Budget {name} is forecast to end over {amount}"
        detail = f"{spent} spent {label} ({used}) · {tz}"
    else:
        head = f"💰 *Budget `{name}`* — {spent} spent {label}: {used} of {amount}"
        text = f"💰 Budget {name}: {note.percent} % of {amount} reached"
        detail = " · ".join(x for x in (pace, tz) if x)
    blocks = [B.section(head), B.context(detail)]
    if note.query is not None:
        value = format_query(note.query, absolute=True)
        blocks.append(B.actions(B.button("Show records", "show_records", value)))
    return Message(text, blocks)


def pace_words(note: Notification) -> str:
    """`at this pace $19,840 by Nov 30`, or "" when it is too early to tell."""
    if note.projected is None or note.window is None:
        return ""
    last_day = note.window.end - timedelta(microseconds=1)
    by = fmt.local(last_day, note.window.tz, "%b %d")
    return f"at this pace *{fmt.money(note.projected)}* by {by}"


def source_failing(note: Notification) -> Message:
    body = (
        f"⚠️ *The metrics source is failing*: {B.escape(note.detail or 'no answer')}. "
        "Alerts keep their state until it answers again; nothing resolves meanwhile."
    )
    return Message("⚠️ The metrics source is failing", [B.section(body)])


def source_recovered(note: Notification) -> Message:
    since = note.fired_at or note.at
    body = (
        f"✅ ~The metrics source was failing~ — answering again since "
        f"{B.slack_date(note.at, 'UTC', '{time}')} (failed for {lasted(note.at - since)})"
    )
    return Message("✅ The metrics source answers again", [B.section(body)])


def source_recovered_reply(note: Notification) -> Message:
    body = "The metrics source answers again; rules are evaluated as usual."
    return Message(body, [B.section(body)])
