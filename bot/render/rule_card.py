"""Rules as people read them: the rule card `rule add` answers with (what it watches, where
it posts, when it fires and resolves, a 14-day backtest), `rule list`, `rule show` and
`rule backtest`. Every default is spelled out, so nothing about a rule is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.grammar.query_text import key_of
from bot.render import fmt
from bot.render.alert import value_text
from bot.render.blocks import Block, actions, button, context, divider, escape, reply, section
from bot.render.fmt import lasted, user
from bot.reply import Reply
from revenium import params as P
from rules.anomaly import MIN_SPREAD
from rules.model import NOVELTY_LOOKBACK, Budget, Metric, Rule
from rules.replay import BacktestResult, Episode
from rules.silences import Silence
from rules.state import InstanceState
from rules.thresholds import Group
from storage.alerts import Evaluation
from storage.outbox import OutboxRow

EPISODES_SHOWN = 5
DELIVERY = (
    "Delivery: each message is posted once, even across a crash (the bot looks for its own "
    "post before sending again — this needs `channels:history`/`groups:history`, which the "
    "app's manifest grants). A message Slack refuses is retried for 24 h, then listed in "
    "`rule show`."
)
_WATCHES = {
    Metric.COST: "spend",
    Metric.WASTED_COST: "spend on failed requests",
    Metric.COST_PER_IMAGE: "the cost per image",
    Metric.ERROR_RATE: "the error rate",
    Metric.ERRORS: "the number of failed requests",
    Metric.IMAGES: "the number of images",
    Metric.SHORTFALL: "images short of what was requested",
}
_OPS = {">": "exceeds", ">=": "reaches", "<": "falls below", "<=": "falls to"}


def volume_text(metric: Metric, volume: float) -> str:
    """An anomaly rule's minimum volume: `$5.00 spent`, `20 images`, `5 errors`."""
    if metric is Metric.COST:
        return f"{fmt.money(volume)} spent"
    return fmt.many(round(volume), "error" if metric is Metric.ERRORS else "image")


def threshold_text(rule: Rule, value: float) -> str:
    return fmt.share(value) if rule.kind is Metric.CHANGE else value_text(rule.unit, value)


def condition_text(rule: Rule) -> str:
    """`spend over the last hour (ending 5 min ago) exceeds *$50* for any single model`."""
    ending = f" (ending {fmt.short(rule.settle)} ago, for metering lag)" if rule.settle else ""
    where = f"over the last {fmt.spoken(rule.per)}{ending}"
    group = f" for any single {key_of(P.param(rule.by))}" if rule.by else ""
    limit = f"*{threshold_text(rule, rule.threshold)}*"
    if rule.kind is Metric.NEW_VALUE:
        return (
            f"spend appears {where} on a {key_of(P.param(rule.by or ''))} with no request "
            f"in the {NOVELTY_LOOKBACK.days} days before (once per value; no resolve message)"
        )
    if rule.anomaly is not None:
        odd = rule.anomaly
        return (
            f"{_WATCHES[odd.metric]} {where}{group} is above what the same time of the week "
            f"saw over the last {odd.weeks} weeks: their median + {rule.threshold:g} × their "
            f"spread (median absolute deviation, at least {MIN_SPREAD:.0%} of the median); "
            f"only with at least {volume_text(odd.metric, odd.min_volume)} in the window"
        )
    if rule.baseline is not None:
        base = rule.baseline
        moved = "rises" if base.direction == "rise" else "falls"
        guard = (
            f"; only when the earlier window had at least {fmt.many(base.min_requests, 'request')}"
        )
        return (
            f"{_WATCHES[base.metric]} {where} {moved} by at least {limit}{group} against "
            f"the same span {fmt.short(base.shift)} earlier{guard}"
        )
    sample = (
        f" (with at least {fmt.many(rule.min_samples, 'request')})"
        if rule.kind is Metric.ERROR_RATE
        else ""
    )
    return f"{_WATCHES[rule.kind]} {where} {_OPS[rule.op]} {limit}{group}{sample}"


def describe(rule: Rule) -> str:
    """When it fires, resolves, is checked and reminds: the defaults in words."""
    times = (
        "at the first breaching evaluation"
        if rule.for_count == 1
        else f"for {rule.for_count} evaluations in a row"
    )
    if rule.recovery_ratio >= 1 or rule.threshold == 0:
        resolves = "resolves as soon as it no longer breaches"
    else:
        side = "above" if rule.below else "below"
        resolves = f"resolves {side} {threshold_text(rule, rule.recovery_threshold)}"
    every = (
        f"Checked every {fmt.short(rule.every)}"
        if isinstance(rule.every, timedelta)
        else f"Checked on cron `{rule.every}`"
    )
    remind = (
        f"Reminders every {fmt.short(rule.reminder)} while firing"
        if rule.reminder
        else "No reminders while firing"
    )
    if rule.anomaly is not None:
        resolves = f"resolves below {rule.recovery_ratio:.0%} of the way up to the band's top"
    if rule.one_shot:
        resolves = f"then quiet until the value goes unseen for {NOVELTY_LOOKBACK.days} days"
    lines = [f"Fires when {condition_text(rule)}, {times}; {resolves}.", f"{every}. {remind}."]
    lines += calm_lines(rule)
    if rule.by:
        lines.append(
            f"At most {rule.max_groups} alerts open at once; more are folded into one "
            "“and N more” message."
        )
    return "\n".join(lines)


def calm_lines(rule: Rule) -> list[str]:
    """Severity and what its alerts hold back (rules/inhibition.py)."""
    held = (
        f"Its alerts hold back those of {', '.join(f'`{n}`' for n in rule.inhibits)}"
        " on a scope that does not contradict theirs. "
        if rule.inhibits
        else ""
    )
    if rule.severity == "critical":
        return [
            f"Severity *critical*: posts during quiet hours and holds back warning alerts on "
            f"the same scope. {held}".strip()
        ]
    return [f"Severity warning: held during quiet hours. {held}".strip()]


def _facts(rule: Rule) -> str:
    filters = fmt.filters_text(rule.query)
    parts = [f"_{escape(filters)}_" if filters else "_all requests_", f"times in {rule.tz}"]
    if rule.created_by:
        parts.append(f"created by {user(rule.created_by)}")
    return " · ".join(parts)


def _title(rule: Rule, mark: str = "✅") -> str:
    paused = " (⏸ paused)" if rule.paused else ""
    where = f"<#{rule.channel}>" if rule.channel else "this channel"
    return f"{mark} *Rule `{rule.name}`*{paused} — posts to {where}"


def card_buttons(rule: Rule) -> Block:
    toggle = (
        button("Resume", "rule_resume", rule.name)
        if rule.paused
        else button("Pause", "rule_pause", rule.name)
    )
    return actions(toggle, button("Test now", "rule_test", rule.name))


@dataclass(frozen=True)
class Running:
    """A card's backtest still being computed (in Slack the card is then replaced)."""

    days: int


Backtest = BacktestResult | Running | str  # done, running, or why there is none


def rule_card(rule: Rule, backtest: Backtest | None, *, mark: str = "✅") -> Reply:
    """What `rule add` answers: the rule in words, a backtest, the delivery note, buttons."""
    blocks = [section(_title(rule, mark)), section(describe(rule))]
    if backtest is not None:
        blocks.append(section(backtest_summary(rule, backtest)))
    blocks += [context(_facts(rule)), context(DELIVERY), card_buttons(rule)]
    data: dict[str, object] = {"rule": rule.to_dict()}
    if isinstance(backtest, BacktestResult):
        data["backtest"] = {"fired": len(backtest.episodes), "messages": len(backtest.messages)}
    return reply(blocks, data)


def backtest_summary(rule: Rule, result: Backtest) -> str:
    if isinstance(result, str):
        return f"*Backtest* skipped: {escape(result)}"
    if isinstance(result, Running):
        return (
            f"*Backtest, last {result.days} days:* still running; this card is replaced with it"
            " when it is done."
        )
    days = round((result.window.end - result.window.start) / timedelta(days=1))
    head = f"*Backtest, last {days} days:*"
    found = result.episodes
    if not found:
        return f"{head} would not have fired. {len(result.messages)} messages in all."
    listed = "; ".join(_episode(rule, e) for e in found[:EPISODES_SHOWN])
    more = f"; and {len(found) - EPISODES_SHOWN} more" if len(found) > EPISODES_SHOWN else ""
    ended = [e for e in found if e.resolved_at is not None]
    longest = max((e.resolved_at - e.fired_at for e in ended if e.resolved_at), default=None)
    if len(ended) == len(found):
        resolved = f"resolved {'both' if len(found) == 2 else 'all' if len(found) > 1 else ''}"
        resolved = f"{resolved.rstrip()} within {lasted(longest)}" if longest else resolved
    else:
        resolved = f"{len(ended)} resolved, {len(found) - len(ended)} still firing at the end"
    return (
        f"{head} would have fired {len(found)}× ({listed}{more}), {resolved}. "
        f"{len(result.messages)} messages in all."
    )


def _episode(rule: Rule, e: Episode) -> str:
    who = f", {escape(e.group)}" if e.group is not None else ""
    peak = f", peak {threshold_text(rule, e.peak)}" if e.peak is not None else ""
    return f"{fmt.local(e.fired_at, rule.tz, '%b %d %H:%M')}{who}{peak}"


def list_reply(
    rules: Sequence[Rule],
    states: Mapping[str, Mapping[Group, InstanceState]],
    budgets: Sequence[Budget],
) -> Reply:
    lines = []
    for rule in rules:
        firing = sum(1 for s in states.get(rule.name, {}).values() if s.is_open)
        status = "⏸ paused" if rule.paused else f"🔴 firing ({firing})" if firing else "🟢 ok"
        lines.append(f"`{rule.name}` — {condition_text(rule)} → <#{rule.channel}> · {status}")
    for budget in budgets:
        lines.append(
            f"💰 `{budget.name}` — {fmt.money(budget.amount)} per {budget.period.value}"
            f" ({budget.tz}) → <#{budget.channel}>"
        )
    if not lines:
        lines.append("No rules or budgets yet. Try `rule add runaway-spend when cost > 50 per 1h`.")
    blocks = [section("*Rules and budgets*"), section("\n".join(lines[:60]))]
    return reply(blocks, {"rules": [r.name for r in rules], "budgets": [b.name for b in budgets]})


def show_reply(
    rule: Rule,
    states: Mapping[Group, InstanceState],
    evals: Sequence[Evaluation],
    undelivered: Sequence[OutboxRow],
    silences: Sequence[Silence],
) -> Reply:
    blocks = [section(_title(rule, "📋")), section(describe(rule)), context(_facts(rule))]
    blocks.append(section("*Now*\n" + _states(rule, states)))
    if silences:
        blocks.append(
            section(
                "*Silenced*\n"
                + "\n".join(
                    f"{_group(s.group)} until {fmt.local(s.until, rule.tz, '%b %d %H:%M')} by "
                    f"{user(s.by)}{' — ' + escape(s.reason) if s.reason else ''}"
                    for s in silences
                )
            )
        )
    blocks.append(section("*Last evaluations*\n" + _evaluations(rule, evals)))
    if undelivered:
        blocks.append(divider())
        blocks.append(
            section(
                "*Not delivered*\n"
                + "\n".join(
                    f"{r.kind} {fmt.local(r.created_at, rule.tz, '%b %d %H:%M')} — {r.status}: "
                    f"{escape(r.last_error or 'no answer')}"
                    for r in undelivered
                )
            )
        )
    blocks.append(card_buttons(rule))
    return reply(blocks, {"rule": rule.to_dict()})


def _group(group: Group) -> str:
    return "all groups" if group is None else escape(group)


def _states(rule: Rule, states: Mapping[Group, InstanceState]) -> str:
    if not states:
        return "Not evaluated yet." if not rule.paused else "Paused."
    lines = []
    for group, s in list(states.items())[:20]:
        value = threshold_text(rule, s.last_value) if s.last_value is not None else "no data"
        since = f" since {fmt.local(s.since, rule.tz, '%b %d %H:%M')}" if s.since else ""
        name = "" if group is None else f"{escape(group)}: "
        lines.append(f"{name}{s.status.value}{since} · last {value}")
    return "\n".join(lines)


def _evaluations(rule: Rule, evals: Sequence[Evaluation]) -> str:
    if not evals:
        return "None yet."
    lines = []
    for e in evals[:10]:
        name = "" if e.group is None else f" {escape(e.group)}"
        value = threshold_text(rule, e.value) if e.value is not None else "no data"
        lines.append(
            f"{fmt.local(e.at, rule.tz, '%b %d %H:%M')}{name} · {value} · {e.state}"
            f" · {escape(e.note)}"
        )
    return "\n".join(lines)
