"""Answers to budget, silence and digest commands: what was set, and what it means next
(spend so far and pace; until when a silence holds; when a digest posts next).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.render import fmt
from bot.render.blocks import context, escape, reply, section, slack_date
from bot.render.fmt import user
from bot.reply import Reply
from rules.budgets import BudgetStatus
from rules.model import Budget, Digest, Period
from rules.silences import Silence

_PERIOD_WORDS = {
    Period.DAY: "day",
    Period.WEEK: "week",
    Period.MONTH: "calendar month",
}
_TO_DATE = {Period.DAY: "Today", Period.WEEK: "Week to date", Period.MONTH: "Month to date"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def budget_reply(budget: Budget, status: BudgetStatus, *, mark: str = "✅") -> Reply:
    levels = " / ".join(str(t) for t in budget.thresholds)
    forecast = (
        f" and when the {budget.period.value} is forecast to end over budget"
        if budget.forecast
        else ""
    )
    head = (
        f"{mark} *Budget `{budget.name}`*: {fmt.money(budget.amount)} per "
        f"{_PERIOD_WORDS[budget.period]} ({_from(budget)}{budget.tz}), posting to "
        f"<#{budget.channel}>, "
        f"alerts at {levels} %{forecast}."
    )
    blocks = [section(head), section(pace_line(budget, status))]
    filters = fmt.filters_text(budget.query)
    blocks.append(context(f"_{escape(filters)}_" if filters else "_all requests_"))
    data = {
        "budget": budget.to_dict(),
        "spent": status.spent,
        "used": status.used,
        "projected": status.projected,
    }
    return reply(blocks, data)


def _from(budget: Budget) -> str:
    return "from Monday, " if budget.period is Period.WEEK else ""


def pace_line(budget: Budget, status: BudgetStatus) -> str:
    """`Month to date: $6,112.40 (31 %) · at this pace $19,840 by Nov 30`."""
    last_day = fmt.local(status.end - timedelta(microseconds=1), budget.tz, "%b %d")
    pace = (
        f" · at this pace *{fmt.money(status.projected)}* by {last_day}"
        if status.projected is not None
        else " · too early in the period for a forecast"
    )
    return f"{_TO_DATE[budget.period]}: {fmt.money(status.spent)} ({status.used * 100:.0f} %){pace}"


def silence_reply(silence: Silence, tz: str) -> Reply:
    scope = "" if silence.group is None else f" ({escape(silence.group)})"
    why = f" — {escape(silence.reason)}" if silence.reason else ""
    text = (
        f"🔕 *`{silence.rule}`*{scope} silenced until {slack_date(silence.until, tz)} by "
        f"{user(silence.by)}{why}. The alert's thread will say so; the rule keeps being "
        "evaluated, and a resolve is still posted."
    )
    return reply([section(text)], {"silence": silence.to_dict()})


def unsilence_reply(rule: str, group: object, ended: int) -> Reply:
    scope = "" if group is None else f" ({escape(group)})"
    text = (
        f"🔔 `{rule}`{scope}: {ended} silence{'s' if ended != 1 else ''} ended. Alerts post again."
    )
    return reply([section(text)], {"ended": ended})


def done_reply(text: str) -> Reply:
    return reply([section(text)])


def schedule_words(digest: Digest) -> str:
    when = "daily" if digest.weekday is None else f"weekly on {WEEKDAYS[digest.weekday]}"
    skip = " · skips days without spend" if digest.skip_empty else ""
    filters = fmt.filters_text(digest.query)
    only = f" · _{escape(filters)}_" if filters else ""
    return f"{when} at {digest.at:%H:%M} {digest.tz} in <#{digest.channel}>{skip}{only}"


def digest_set_reply(digest: Digest, next_at: datetime | None) -> Reply:
    first = f"First post: {slack_date(next_at, digest.tz)}." if next_at else ""
    text = (
        f"✅ *Digest* {schedule_words(digest)}. It covers the local "
        f"{'day' if digest.weekday is None else 'week'} that just ended. {first}"
    )
    return reply(
        [section(text.strip())],
        {"digest": digest.to_dict(), "next": next_at.isoformat() if next_at else None},
    )


def digest_status_reply(found: Sequence[tuple[Digest, datetime | None]]) -> Reply:
    if not found:
        return reply(
            [section("No digests yet. Try `digest daily at 09:00 tz Europe/Berlin`.")],
            {"digests": []},
        )
    lines = []
    for digest, next_at in found:
        local = fmt.local(next_at, digest.tz, "%a %b %d %H:%M") if next_at else "—"
        when = f" · next {local} {digest.tz} ({slack_date(next_at, digest.tz)})" if next_at else ""
        lines.append(f"• {schedule_words(digest)}{when}")
    data = [{"channel": d.channel, "next": n.isoformat() if n else None} for d, n in found]
    return reply([section("*Digests*"), section("\n".join(lines))], {"digests": data})
