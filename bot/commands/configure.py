"""The commands that configure alerts — rule, budget, digest, silence, unsilence, quiet: parse,
refuse anyone but an admin where the action changes what the bot posts, carry it out.

`run` takes the typed text; `perform` an action already built (buttons build theirs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot.commands.admins import admins_of
from bot.commands.call import Call
from bot.commands.digest import digest_verb, set_digest
from bot.commands.quiet import list_quiet, quiet_off, set_quiet
from bot.commands.rule import add_rule, backtest, budget_verb, list_rules, rule_verb, set_budget
from bot.commands.silence import add_silence, unsilence
from bot.grammar.actions import (
    Action,
    AddRule,
    AddSilence,
    Backtest,
    BudgetVerb,
    DigestVerb,
    ListQuiet,
    ListRules,
    QuietOff,
    RuleVerb,
    SetBudget,
    SetDigest,
    SetQuiet,
    Unsilence,
    Where,
    changes,
)
from bot.grammar.command import Command
from bot.grammar.configure import parse_action
from bot.reply import Context, Reply
from bot.runtime import Runtime


def run(cmd: Command, ctx: Context, rt: Runtime) -> Reply:
    """`rule|budget|digest|silence|unsilence|quiet …` typed by ctx.user in ctx.channel."""
    now = rt.clock.now()
    action = parse_action(cmd.verb, cmd.args, Where(now, rt.settings.tz, ctx.channel, ctx.user))
    return replace(perform(action, Call(ctx, rt, now, cmd.raw)), share=cmd.share)


def perform(action: Action, call: Call) -> Reply:
    """Refuse a change from anyone but an admin (re-asked on every call), then carry it out."""
    if changes(action):
        admins_of(call.rt).require(call.ctx.user, SUBJECTS[type(action)])
    return HANDLERS[type(action)](action, call)


HANDLERS: dict[type[Any], Callable[[Any, Call], Reply]] = {
    AddRule: add_rule,
    RuleVerb: rule_verb,
    ListRules: list_rules,
    Backtest: backtest,
    SetBudget: set_budget,
    BudgetVerb: budget_verb,
    AddSilence: add_silence,
    Unsilence: unsilence,
    SetDigest: set_digest,
    DigestVerb: digest_verb,
    SetQuiet: set_quiet,
    QuietOff: quiet_off,
    ListQuiet: list_quiet,
}
SUBJECTS: dict[type[Any], str] = {
    AddRule: "rules",
    RuleVerb: "rules",
    SetBudget: "budgets",
    BudgetVerb: "budgets",
    AddSilence: "silences",
    Unsilence: "silences",
    SetDigest: "digests",
    DigestVerb: "digests",
    SetQuiet: "quiet hours",
    QuietOff: "quiet hours",
}
