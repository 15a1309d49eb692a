"""What a channel reads when an alert fires, resolves, reminds, is silenced, or a budget
or the data source speaks: Block Kit plus the top-level text, within Slack's limits.

Each function renders one kind of Notification as a Message; bot/alerts/outgoing.py
decides how each is delivered. API strings are escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.grammar.query_text import format_query
from bot.render import blocks as B
from bot.render import fmt
from bot.render.blocks import Message
from bot.render.fmt import lasted, user
from bot.render.terminal import mrkdwn_to_text
from bot.render.why import drivers_line
from revenium import params as P
from revenium.query import Query
from rules.model import NOVELTY_LOOKBACK, Metric, Rule
from rules.notification import Notification
from rules.silences import Silence
from rules.state import Cause
from rules.thresholds import Group

SILENCE_CHOICES = (("1h", "silence_1h"), ("4h", "silence_4h"), ("24h", "silence_24h"))
MAX_LISTED = 20
_STRUCK = re.compile(r"(?<!\w)~([^~\n]+)~(?!\w)")  # folded groups named in an "and N more" message


# -- alerts --------------------------------------------------------------------------------


def fired(note: Notification, rule: Rule | None) -> Message:
    name = B.escape(note.subject)
    first = f"🔴 *{name}* — {headline(note, rule)}"
    blocks = [
        B.section(first),
        B.context(*_figures(note)),
    ]
    if note.change is not None and rule is not None:
        blocks.append(B.context(drivers_line(note.change, versus_words(rule))))
    if note.contributors:
        tops = ", ".join(
            f"{_dimension(c.dimension)} {B.escape(c.value)} {fmt.money(c.cost)}"
            f" ({c.share * 100:.0f} %)"
            for c in note.contributors
        )
        blocks.append(B.context(f"Top contributors: {tops}"))
    blocks.append(alert_buttons(note.subject, note.group, note.query))
    return Message(_plain_dates(first), B.fit(blocks))


def headline(note: Notification, rule: Rule | None) -> str:
    """`dall-e-3 spent *$120* in the last 1h (threshold $50; resolves below $45)`; an anomaly
    against its band, a new value as news."""
    who, window = _who(note), _window_words(note)
    if rule is not None and rule.kind is Metric.NEW_VALUE:
        dim = _dimension(rule.by or "")
        return (
            f"new {dim} *{B.escape(note.group)}*: {fmt.money(note.value)} spent {window}, "
            f"none in the {NOVELTY_LOOKBACK.days} days before"
        )
    if rule is not None and rule.anomaly is not None and note.band is None:
        return f"{who}{_measured(note, rule)} {window} (no band yet: too few past weeks)"
    if note.band is not None and rule is not None:
        band = note.band
        zone = ZoneInfo(rule.tz)
        when = (
            f"for a {note.window.start.astimezone(zone):%A %H:%M}–"
            f"{note.window.end.astimezone(zone):%H:%M}"
            if note.window is not None
            else ""
        )
        return (
            f"{who}{_measured(note, rule)} {window} vs expected {_value(rule, band.low)}–"
            f"{_value(rule, band.high)} {when} (median of {band.weeks} past weeks"
            f" {_value(rule, band.median)}; {_recovers(note, rule)})"
        )
    limits = f"threshold {_value(rule, note.threshold)}; {_recovers(note, rule)}"
    return f"{who}{_measured(note, rule)} {window} ({limits})"


def versus_words(rule: Rule) -> str:
    """What an alert's drivers are measured against, in words (rules/why.py:versus)."""
    if rule.baseline is not None:
        return fmt_shift(rule)
    if rule.anomaly is not None:
        return "the same window a week before"
    return f"the {fmt.spoken(rule.per)} before"


def alert_buttons(rule: str, group: Group, query: Query | None) -> B.Block:
    """Silence 1h / 4h / 24h, Unsilence and Show records, as helper B's handlers expect."""
    target = json.dumps({"rule": rule, "group": group})
    buttons = [B.button(f"Silence {label}", action, target) for label, action in SILENCE_CHOICES]
    buttons.append(B.button("Unsilence", "unsilence", target))
    if query is not None:
        buttons.append(B.button("Show records", "show_records", format_query(query, absolute=True)))
    return B.actions(*buttons)


def resolved(note: Notification, rule: Rule | None) -> Message:
    """The fired message, edited: struck through, when it resolved, how long, the peak."""
    name, tz = B.escape(note.subject), _tz(note, rule)
    fired_at = note.fired_at or note.at
    facts = (
        f"resolved at {B.slack_date(note.at, tz, '{time}')} (fired "
        f"{B.slack_date(fired_at, tz, '{time}')}, lasted {lasted(note.at - fired_at)};"
        f" peak {_value(rule, note.peak)})"
    )
    who = _who(note).removesuffix(" ")
    subject = f"~{name}~" + (f" {who}" if who else "")
    first = f"✅ {subject} — {facts}"
    blocks: list[B.Block] = [B.section(first)]
    if note.query is not None:
        blocks.append(
            B.actions(
                B.button("Show records", "show_records", format_query(note.query, absolute=True))
            )
        )
    return Message(_plain_dates(first), blocks)


def resolved_reply(note: Notification, rule: Rule | None) -> Message:
    tz = _tz(note, rule)
    why = _why(note)
    now = f"{_value(rule, note.value)} {_window_words(note)}".rstrip()
    body = (
        f"Resolved at {B.slack_date(note.at, tz)}: {why} — now {now}"
        f" ({_recovers(note, rule)}); peak was {_value(rule, note.peak)}."
    )
    return Message(_plain_dates(body), [B.section(body)])


_CAUSES = {
    Cause.RECOVERED: "below the recovery threshold",
    Cause.NO_TRAFFIC: "no traffic in the window",
    Cause.DELETED: "rule deleted by ",
    Cause.EDITED: "rule edited by ",
}


def _why(note: Notification) -> str:
    """Why it resolved, in words: a rule change names who made it."""
    r = note.resolution
    if r is None:
        return _CAUSES[Cause.RECOVERED]
    if r.cause in (Cause.DELETED, Cause.EDITED):
        return _CAUSES[r.cause] + user(r.by)
    return _CAUSES[r.cause]


def reminder(note: Notification, rule: Rule | None) -> Message:
    tz, fired_at = _tz(note, rule), note.fired_at or note.at
    body = (
        f"Still firing since {B.slack_date(fired_at, tz, '{time}')} "
        f"({lasted(note.at - fired_at)}): now {_value(rule, note.value)} {_window_words(note)}"
        f" (threshold {_value(rule, note.threshold)}; peak {_value(rule, note.peak)})."
    )
    return Message(_plain_dates(body), [B.section(body)])


def silence_ended(note: Notification, rule: Rule | None) -> Message:
    body = (
        f"The silence set by {user(note.detail)} has ended and the alert is still firing: "
        f"{_value(rule, note.value)} {_window_words(note)}"
        f" (threshold {_value(rule, note.threshold)})."
    )
    return Message(_plain_dates(body), [B.section(body)])


def silenced(silence: Silence, tz: str) -> Message:
    """The thread note when a silence starts (posted by the scheduler, not the engine)."""
    why = f" — {B.escape(silence.reason)}" if silence.reason else ""
    scope = "" if silence.group is None else f" for {B.escape(silence.group)}"
    body = f"🔕 Silenced{scope} by {user(silence.by)} until {B.slack_date(silence.until, tz)}{why}"
    return Message(_plain_dates(body), [B.section(body)])


def more(note: Notification, rule: Rule | None) -> Message:
    listed = ", ".join(f"{B.escape(g)} {_value(rule, v)}" for g, v in note.more[:MAX_LISTED])
    rest = len(note.more) - MAX_LISTED
    tail = f" and {rest} more" if rest > 0 else ""
    name = B.escape(note.subject)
    body = f"🔴 *{name}* — {len(note.more)} more also breach: {listed}{tail}"
    return Message(f"🔴 {name} — {len(note.more)} more also breach", [B.section(body)])


# -- words -------------------------------------------------------------------------------------


def value_text(kind: Metric | None, value: float | None) -> str:
    if value is None:
        return "n/a"
    return _FORMATS.get(kind, fmt.money)(value) if kind is not None else f"{value:,.4g}"


_FORMATS: dict[Metric | None, Callable[[float], str]] = {
    Metric.COST: fmt.money,
    Metric.WASTED_COST: fmt.money,
    Metric.COST_PER_IMAGE: fmt.money,
    Metric.ERRORS: lambda v: fmt.count(round(v)),
    Metric.IMAGES: lambda v: fmt.count(round(v)),
    Metric.SHORTFALL: lambda v: fmt.count(round(v)),
    Metric.ERROR_RATE: fmt.percent,
    Metric.CHANGE: lambda v: f"{v:+.0f} %",
}
_VERBS = {
    Metric.COST: "spent",
    Metric.ERRORS: "errors",
    Metric.IMAGES: "images",
    Metric.WASTED_COST: "wasted spend",
    Metric.SHORTFALL: "image shortfall",
    Metric.ERROR_RATE: "error rate",
    Metric.COST_PER_IMAGE: "cost per image",
}


def _value(rule: Rule | None, value: float | None) -> str:
    return value_text(rule.unit if rule is not None else None, value)


def _measured(note: Notification, rule: Rule | None) -> str:
    shown = f"*{_value(rule, note.value)}*"
    if rule is None:
        return f"value {shown}"
    if rule.baseline is not None:
        moved = "rose" if rule.baseline.direction == "rise" else "fell"
        return (
            f"{rule.baseline.metric.value.replace('_', ' ')} {moved} {shown} vs {fmt_shift(rule)}"
        )
    return f"{_VERBS.get(rule.metric, 'value')} {shown}"


def fmt_shift(rule: Rule) -> str:
    assert rule.baseline is not None
    shift = rule.baseline.shift
    if shift == timedelta(days=7):
        return "last week"
    if shift == timedelta(days=1):
        return "the day before"
    return f"the {fmt.spoken(shift)} before"


def _recovers(note: Notification, rule: Rule | None) -> str:
    word = "above" if rule is not None and rule.below else "below"
    return f"resolves {word} {_value(rule, note.recovery_threshold)}"


def _window_words(note: Notification) -> str:
    return f"in the {note.window.label}" if note.window is not None and note.window.label else ""


def _who(note: Notification) -> str:
    return "" if note.group is None else f"{B.escape(note.group)} "


def _figures(note: Notification) -> list[str]:
    parts = []
    if note.window is not None:
        parts.append(f"Window {fmt.window_span(note.window)}")
    s = note.summary
    if s is not None:
        parts += [
            f"{fmt.money(s.cost)}",
            fmt.many(s.images, "image"),
            f"error rate {fmt.percent(s.error_rate)}",
        ]
    return [" · ".join(parts)] if parts else []


def _dimension(name: str) -> str:
    return name if name not in P.BY_NAME else (P.param(name).aliases or (name,))[0]


def _tz(note: Notification, rule: Rule | None) -> str:
    if rule is not None:
        return rule.tz
    return note.window.tz if note.window is not None else "UTC"


def _plain_dates(text: str) -> str:
    """Top-level text: Slack dates read as their fallbacks (notifications show them raw)."""
    return B.escape(mrkdwn_to_text(_STRUCK.sub(r"\1", text)))
