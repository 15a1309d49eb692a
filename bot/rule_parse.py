"""The grammar of `rule …`, `silence …` and `unsilence …` (CONTRACT.md §4), and the one
entry `parse_action` for every command that configures alerts (budgets and digests are
read by bot/budget_parse.py and bot/digest_parse.py).

    rule add NAME when METRIC OP VALUE per SPAN [min N] [by DIM] [FILTER...] [every 5m]
             [for N] [recover below X] [settle 5m] [remind 4h|off] [max N] [tz Z] [in #ch]
    rule add NAME when METRIC rises|falls N% vs last week [per 1d] [min-volume N] ...
    rule list | show NAME | delete NAME | pause NAME | resume NAME | test NAME
    rule backtest NAME [last 30d]
    silence NAME [GROUP] for 2h [reason TEXT...]      unsilence NAME [GROUP]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot import rule_messages as msg
from bot import rule_words as words
from bot.actions import (
    Action,
    AddRule,
    AddSilence,
    Backtest,
    ListRules,
    RuleVerb,
    RuleVerbName,
    Unsilence,
    Where,
)
from bot.budget_parse import parse_budget
from bot.digest_parse import parse_digest
from bot.errors import UsageError
from bot.filters import parse_filters
from bot.rule_condition import Condition, read_condition
from bot.rule_options import RULE_OPTIONS, query_only, recovery_ratio
from bot.suggest import closest
from bot.tokens import Token, tokenize
from revenium import windows as W
from revenium.query import Query, Window
from rules.model import DEFAULT_EVERY, Baseline, Kind, Rule

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
DEFAULT_BACKTEST = timedelta(days=14)
MAX_BACKTEST = timedelta(days=31)
MAX_SILENCE = timedelta(days=30)

Parser = Callable[[list[Token], Where], Action]


def parse_action(verb: str, args: Sequence[str], where: Where) -> Action:
    """The action of `rule|budget|digest|silence|unsilence ARGS…` typed at `where`."""
    tokens = tokenize(" ".join(args))
    return PARSERS[verb](tokens, where)


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
        _nothing_after(rest, 0, "rule list")
        return ListRules()
    name = words.name(rest, 0, "rule", f"rule {verb} runaway-spend")
    if verb == "backtest":
        return Backtest(name, _backtest_window(rest[1:], where))
    _nothing_after(rest, 1, f"rule {verb} {name}")
    return RuleVerb(cast(RuleVerbName, verb), name)


def rule_add(tokens: list[Token], where: Where) -> Rule:
    name = words.name(tokens, 0, "rule", "rule add runaway-spend when cost > 50 per 1h")
    if words.word(tokens, 1) != "when":
        raise UsageError(msg.add_needs_when(name, tokens[1].raw if len(tokens) > 1 else None))
    condition, used = read_condition(tokens, 2)
    options, rest = words.take_options(tokens[2 + used :], RULE_OPTIONS)
    parts, left = parse_filters(rest, now=where.now, tz=where.tz)
    query = query_only(parts, left, "rule", RULE_OPTIONS)
    if "per" not in options and condition.shift is None:
        raise UsageError(msg.rule_needs_per(name))
    every = options.get("every", DEFAULT_EVERY)
    values: dict[str, Any] = {
        "per": options.get("per", DEFAULT_CHANGE_PER),
        "every": every,
        "channel": options.get("in", where.channel),
        "by": query.group_by,
        "tz": parts.tz,
        "created_by": where.user,
        **_tuning(options, condition, every),
    }
    try:
        return Rule(
            name=name,
            kind=Kind.CHANGE if condition.shift else condition.metric,
            threshold=condition.threshold,
            op=condition.op,
            query=Query(filters=query.filters, strict=query.strict),
            baseline=_baseline(condition, options),
            **values,
        )
    except ValueError as error:
        raise UsageError(msg.bad_rule(name, str(error))) from None


def _tuning(options: dict[str, Any], cond: Condition, every: timedelta | str) -> dict[str, Any]:
    """The optional knobs, checked against the condition they tune."""
    out: dict[str, Any] = {}
    if "min" in options:
        if cond.metric is not Kind.ERROR_RATE:
            raise UsageError(msg.min_for_rates())
        out["min_samples"] = options["min"]
    if "min-volume" in options and cond.shift is None:
        raise UsageError(msg.min_volume_for_changes())
    if "for" in options:
        out["for_count"] = _for_count(options["for"], every)
    if "recover" in options:
        out["recovery_ratio"] = recovery_ratio(options["recover"], cond)
    for key, field in (("settle", "settle"), ("remind", "reminder"), ("max", "max_groups")):
        if key in options:
            out[field] = options[key]
    return out


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


def parse_silence(tokens: list[Token], where: Where) -> Action:
    name = words.name(tokens, 0, "rule", "silence runaway-spend for 2h")
    group = None
    i = 1
    if i < len(tokens) and tokens[i].word != "for":
        group, i = tokens[i].text, 2
    if words.word(tokens, i) != "for":
        raise UsageError(msg.silence_needs_for(name))
    duration, used = words.span(tokens, i + 1, words.phrase(tokens, i, 2))
    if duration > MAX_SILENCE:
        raise UsageError(msg.silence_too_long(MAX_SILENCE.days))
    j = i + 1 + used
    reason = ""
    if j < len(tokens):
        if tokens[j].word not in ("reason", "because"):
            raise UsageError(msg.silence_extra(tokens[j].raw))
        reason = " ".join(t.text for t in tokens[j + 1 :])
    return AddSilence(name, group, duration, reason[: msg.MAX_REASON])


def parse_unsilence(tokens: list[Token], where: Where) -> Action:
    name = words.name(tokens, 0, "rule", "unsilence runaway-spend")
    group = tokens[1].text if len(tokens) > 1 else None
    _nothing_after(tokens, 2, f"unsilence {name}")
    return Unsilence(name, group)


def _nothing_after(tokens: Sequence[Token], n: int, phrase: str) -> None:
    if len(tokens) > n:
        raise UsageError(msg.extra_words(tokens[n].raw, phrase))


PARSERS: dict[str, Parser] = {
    "rule": parse_rule,
    "budget": parse_budget,
    "digest": parse_digest,
    "silence": parse_silence,
    "unsilence": parse_unsilence,
}
