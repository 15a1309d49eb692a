"""The grammar of `rule …` (CONTRACT.md §4); bot/grammar/configure.py routes to it.

rule add NAME when METRIC OP VALUE per SPAN [min N] [by DIM] [FILTER...] [every 5m]
         [for N] [recover below X] [settle 5m] [remind 4h|off] [max N] [tz Z] [in #ch]
         [severity critical|warning] [inhibits RULE...]
rule add NAME when METRIC rises|falls N% vs last week [per 1d] [min-volume N] ...
rule add NAME when cost|images|errors|cost-per-image anomaly [per 1h] [sensitivity 3] [min $5] ...
rule add NAME when new model|provider|resolution|quality|agent|organization ...
rule list | show NAME | delete NAME | pause NAME | resume NAME | test NAME
rule backtest NAME [last 30d]
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.actions import (
    Action,
    AddRule,
    Backtest,
    ListRules,
    RuleVerb,
    RuleVerbName,
    Where,
)
from bot.grammar.condition import Condition, read_condition
from bot.grammar.filters import parse_filters
from bot.grammar.options import RULE_OPTIONS, minimum, query_only, recovery_ratio
from bot.grammar.suggest import closest
from bot.grammar.tokens import Token
from revenium import windows as W
from revenium.query import Query, Window
from rules.model import ANOMALY_MIN_VOLUME, DEFAULT_EVERY, Anomaly, Baseline, Metric, Rule

RULE_VERBS = ("add", "list", "show", "delete", "pause", "resume", "test", "backtest")
_VERB_ALIASES = {
    "rm": "delete",
    "remove": "delete",
    "del": "delete",
    "unpause": "resume",
    "ls": "list",
    "create": "add",
    "new": "add",
}
DEFAULT_CHANGE_PER = timedelta(days=1)
DEFAULT_WATCH_PER = timedelta(hours=1)  # anomaly and new-value rules
DEFAULT_BACKTEST = timedelta(days=14)
MAX_BACKTEST = timedelta(days=31)


def parse_rule(tokens: list[Token], where: Where) -> Action:
    if not tokens:
        raise UsageError(msg.rule_needs_verb(RULE_VERBS))
    typed = tokens[0].word
    verb = _VERB_ALIASES.get(typed, typed)
    if verb not in RULE_VERBS:
        raise UsageError(
            msg.unknown_verb("rule", tokens[0].raw, closest(typed, RULE_VERBS), RULE_VERBS)
        )
    rest = tokens[1:]
    if verb == "add":
        return AddRule(rule_add(rest, where))
    if verb == "list":
        words.nothing_after(rest, 0, "rule list")
        return ListRules()
    name = words.name(rest, 0, "rule", f"rule {verb} runaway-spend")
    if verb == "backtest":
        return Backtest(name, _backtest_window(rest[1:], where))
    words.nothing_after(rest, 1, f"rule {verb} {name}")
    return RuleVerb(cast(RuleVerbName, verb), name)


def rule_add(tokens: list[Token], where: Where) -> Rule:
    name = words.name(tokens, 0, "rule", "rule add runaway-spend when cost > 50 per 1h")
    if words.word(tokens, 1) != "when":
        raise UsageError(msg.add_needs_when(name, tokens[1].raw if len(tokens) > 1 else None))
    condition, used = read_condition(tokens, 2)
    options, rest = words.take_options(tokens[2 + used :], RULE_OPTIONS)
    parts, left = parse_filters(rest, now=where.now, tz=where.tz)
    query = query_only(parts, left, "rule", RULE_OPTIONS)
    if "per" not in options and condition.shift is None and not _watch(condition):
        raise UsageError(msg.rule_needs_per(name))
    every = options.get("every", DEFAULT_EVERY)
    values: dict[str, Any] = {
        "per": options.get("per", DEFAULT_WATCH_PER if _watch(condition) else DEFAULT_CHANGE_PER),
        "every": every,
        "channel": options.get("in", where.channel),
        "by": _by(condition, query.group_by),
        "tz": parts.tz,
        "created_by": where.user,
        **_tuning(options, condition, every),
    }
    try:
        return Rule(
            name=name,
            kind=_kind(condition),
            threshold=options.get("sensitivity", condition.threshold),
            op=condition.op,
            query=Query(filters=query.filters, strict=query.strict),
            baseline=_baseline(condition, options),
            anomaly=_anomaly(condition, options),
            **values,
        )
    except ValueError as error:
        raise UsageError(msg.bad_rule(name, str(error))) from None


def _tuning(options: dict[str, Any], cond: Condition, every: timedelta | str) -> dict[str, Any]:
    """The optional knobs, checked against the condition they tune."""
    out: dict[str, Any] = {"for_count": 1, "reminder": timedelta(0)} if cond.new else {}
    if "min" in options and cond.metric is not Metric.ERROR_RATE and not cond.anomaly:
        raise UsageError(msg.min_for_rates())
    if "min" in options and not cond.anomaly:
        out["min_samples"] = minimum(options["min"], cond)
    if "min-volume" in options and cond.shift is None:
        raise UsageError(msg.min_volume_for_changes())
    if "sensitivity" in options and not cond.anomaly:
        raise UsageError(msg.only_for("sensitivity", "anomaly rules", "cost anomaly sensitivity 4"))
    if "recover" in options and _watch(cond):
        raise UsageError(msg.only_for("recover", "threshold and change rules", "recover below 45"))
    if "for" in options:
        out["for_count"] = _for_count(options["for"], every)
    if "recover" in options:
        out["recovery_ratio"] = recovery_ratio(options["recover"], cond)
    for key, field in (
        ("settle", "settle"),
        ("remind", "reminder"),
        ("max", "max_groups"),
        ("severity", "severity"),
        ("inhibits", "inhibits"),
    ):
        if key in options:
            out[field] = options[key]
    return out


def _watch(cond: Condition) -> bool:
    """Anomaly and new-value rules: they measure over the last hour unless told otherwise."""
    return cond.anomaly or cond.new is not None


def _kind(cond: Condition) -> Metric:
    if cond.shift:
        return Metric.CHANGE
    return Metric.ANOMALY if cond.anomaly else cond.metric


def _by(cond: Condition, by: str | None) -> str | None:
    if cond.new is not None and by not in (None, cond.new):
        raise UsageError(msg.new_is_grouped(f"by {by}"))
    return cond.new or by


def _anomaly(cond: Condition, options: dict[str, Any]) -> Anomaly | None:
    if not cond.anomaly:
        return None
    low = minimum(options["min"], cond) if "min" in options else ANOMALY_MIN_VOLUME[cond.metric]
    return Anomaly(cond.metric, float(low))


def _for_count(value: int | timedelta, every: timedelta | str) -> int:
    """`for 3` evaluations, or `for 10m`: as many evaluations as fit in 10 minutes."""
    if isinstance(value, int):
        return value
    if isinstance(every, str):
        raise UsageError(msg.for_span_with_cron())
    return max(1, -(-value // every))


def _baseline(condition: Condition, options: dict[str, Any]) -> Baseline | None:
    if condition.shift is None:
        return None
    extra = {"min_requests": options["min-volume"]} if "min-volume" in options else {}
    return Baseline(condition.metric, condition.shift, condition.direction, **extra)


def _backtest_window(tokens: list[Token], where: Where) -> Window:
    parts, left = parse_filters(tokens, now=where.now, tz=where.tz)
    if left or parts.query.filters or parts.query.group_by or parts.query.sort:
        raise UsageError(msg.backtest_takes_window(" ".join(t.raw for t in tokens)))
    window = parts.query.window
    assert window is not None
    if not parts.window_given:
        window = W.rolling(DEFAULT_BACKTEST.days, "day", where.now, ZoneInfo(parts.tz))
    if window.end - window.start > MAX_BACKTEST:
        raise UsageError(msg.backtest_too_long(MAX_BACKTEST.days))
    return window
