"""Carrying out rule, budget and silence commands: parse, check the admin, store (with an
audit line), render. Digest commands are in bot/digest_commands.py; both are reached
through `run` (the text commands) and `perform` (buttons build their action directly).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlite_utils import Database

from bot import change_render as CR
from bot import replay_render as PR
from bot import rule_messages as msg
from bot import rule_render as RR
from bot import values
from bot.actions import (
    Action,
    AddRule,
    AddSilence,
    Backtest,
    BudgetVerb,
    DigestVerb,
    ListRules,
    RuleVerb,
    RuleVerbName,
    SetBudget,
    SetDigest,
    Unsilence,
    Where,
    changes,
)
from bot.admins import Admins, admins_for
from bot.call import Call, note
from bot.digest_commands import digest_verb, set_digest
from bot.errors import NotFound, UsageError, UserError
from bot.parse import Command
from bot.query_text import key_of
from bot.replay import BacktestResult, TooMuchHistory, preview, run_backtest
from bot.reply import Context, Reply
from bot.rule_parse import DEFAULT_BACKTEST, parse_action
from bot.scheduler import outgoing
from bot.suggest import closest
from revenium import params as P
from revenium.query import Window
from rules.budgets import budget_query, budget_status
from rules.engine import EDITED_BY, SOURCE_ERRORS, retire
from rules.model import Budget, Rule
from rules.silences import Silence
from rules.thresholds import Group
from storage import alerts as A
from storage import budgets as BG
from storage import outbox as O
from storage import silences as S

if TYPE_CHECKING:
    from bot.commands import Runtime


def run(cmd: Command, ctx: Context, rt: Runtime) -> Reply:
    """`rule|budget|digest|silence|unsilence …` typed by ctx.user in ctx.channel."""
    now = rt.clock.now()
    action = parse_action(cmd.verb, cmd.args, Where(now, rt.settings.tz, ctx.channel, ctx.user))
    return replace(perform(action, Call(ctx, rt, now, cmd.raw)), share=cmd.share)


def perform(action: Action, call: Call) -> Reply:
    """Refuse a change from anyone but an admin (re-asked on every call), then carry it out."""
    if changes(action):
        admins(call.rt).require(call.ctx.user, SUBJECTS[type(action)])
    return HANDLERS[type(action)](action, call)


def admins(rt: Runtime) -> Admins:
    if rt.admins is None:
        rt.admins = admins_for(rt.settings, rt.clock)
    return rt.admins


# -- rules ----------------------------------------------------------------------------------


def add_rule(action: AddRule, call: Call) -> Reply:
    rule, db = action.rule, call.db
    if BG.get_budget(db, rule.name) is not None:
        raise UsageError(msg.name_taken(rule.name, "budget"))
    old = A.get_rule(db, rule.name)
    reset = old is not None and not old.keeps_instances(rule)
    resolves = [] if old is None or not reset else [
        outgoing(n, rule=old)
        for n in retire(old, A.load_states(db, rule.name), call.now, call.ctx.user,
                        why=EDITED_BY)
    ]  # fmt: skip
    A.save_rule(db, rule, call.now, reset=reset, outgoing=resolves)
    note(call, "rule add" if old is None else "rule edit", rule.name)
    return RR.rule_card(rule, card_backtest(rule, call), mark="✅" if old is None else "✏️")


def card_backtest(rule: Rule, call: Call) -> BacktestResult | str:
    """The rule card's backtest over the last 14 days, or why there is none."""
    window = Window(call.now - DEFAULT_BACKTEST, call.now, rule.tz, "last 14 days")
    try:
        return run_backtest(rule, call.rt.source, window)
    except TooMuchHistory as error:
        return str(error)
    except SOURCE_ERRORS as error:
        return f"the metrics source did not answer ({error})"


def rule_verb(action: RuleVerb, call: Call) -> Reply:
    db, name = call.db, action.name
    if action.verb == "delete":
        return delete(name, call)
    if action.verb == "show" and A.get_rule(db, name) is None and BG.get_budget(db, name):
        return budget_verb(BudgetVerb("show", name), call)
    rule = find_rule(db, name)
    if action.verb == "show":
        undelivered = [r for r in O.deliveries(db, name, 20) if r.status in ("failed", "given_up")]
        active = [s.silence for s in S.silences(db, name) if s.silence.active(call.now)]
        return RR.show_reply(
            rule, A.load_states(db, name), A.evaluations(db, name, 10), undelivered, active
        )
    if action.verb == "test":
        found, note_ = preview(rule, call.rt.source, A.load_states(db, name), call.now)
        return PR.test_reply(rule, found, note_)
    paused = action.verb == "pause"
    A.set_paused(db, name, paused, call.now)
    note(call, f"rule {action.verb}", name)
    return CR.done_reply(msg.paused(name) if paused else msg.resumed(name))


def delete(name: str, call: Call) -> Reply:
    rule = A.get_rule(call.db, name)
    resolves = [] if rule is None else [
        outgoing(n, rule=rule)
        for n in retire(rule, A.load_states(call.db, name), call.now,
                        call.ctx.user)
    ]  # fmt: skip
    if A.delete_rule(call.db, name, outgoing=resolves, now=call.now):
        note(call, "rule delete", name)
        return CR.done_reply(msg.deleted("Rule", name))
    if BG.delete_budget(call.db, name):
        note(call, "budget delete", name)
        return CR.done_reply(msg.deleted("Budget", name))
    raise NotFound(msg.no_rule(name, _guess(call.db, name)))


def list_rules(action: ListRules, call: Call) -> Reply:
    db = call.db
    return RR.list_reply(A.list_rules(db), A.all_states(db), BG.list_budgets(db))


def backtest(action: Backtest, call: Call) -> Reply:
    rule = find_rule(call.db, action.name)
    try:
        return PR.backtest_reply(rule, run_backtest(rule, call.rt.source, action.window))
    except TooMuchHistory as error:
        raise UserError(str(error)) from None


def find_rule(db: Database, name: str) -> Rule:
    rule = A.get_rule(db, name)
    if rule is None:
        raise NotFound(msg.no_rule(name, _guess(db, name)))
    return rule


def _guess(db: Database, name: str) -> str | None:
    names = [r.name for r in A.list_rules(db)] + [b.name for b in BG.list_budgets(db)]
    return closest(name, names)


# -- budgets --------------------------------------------------------------------------------


def set_budget(action: SetBudget, call: Call) -> Reply:
    budget, db = action.budget, call.db
    if A.get_rule(db, budget.name) is not None:
        raise UsageError(msg.name_taken(budget.name, "rule"))
    existed = BG.get_budget(db, budget.name) is not None
    BG.add_budget(db, budget, call.now, replace=True)
    note(call, "budget edit" if existed else "budget add", budget.name)
    return budget_card(budget, call, mark="✏️" if existed else "✅")


def budget_card(budget: Budget, call: Call, *, mark: str) -> Reply:
    spent = call.rt.source.summary(budget_query(budget, call.now)).cost
    return CR.budget_reply(budget, budget_status(budget, spent, call.now), mark=mark)


def budget_verb(action: BudgetVerb, call: Call) -> Reply:
    if action.verb == "delete":
        if not BG.delete_budget(call.db, action.name):
            raise NotFound(msg.no_budget(action.name, _guess(call.db, action.name)))
        note(call, "budget delete", action.name)
        return CR.done_reply(msg.deleted("Budget", action.name))
    budget = BG.get_budget(call.db, action.name)
    if budget is None:
        raise NotFound(msg.no_budget(action.name, _guess(call.db, action.name)))
    return budget_card(budget, call, mark="📋")


# -- silences -------------------------------------------------------------------------------


def add_silence(action: AddSilence, call: Call) -> Reply:
    rule = find_rule(call.db, action.rule)
    group = action.group if action.exact else typed_group(rule, action.group)
    silence = Silence(rule.name, group, call.now + action.duration, call.ctx.user, action.reason)
    S.add_silence(call.db, silence, call.now)
    note(call, "silence", rule.name)
    return CR.silence_reply(silence, rule.tz)


def unsilence(action: Unsilence, call: Call) -> Reply:
    rule = find_rule(call.db, action.rule)
    group = action.group if action.exact else typed_group(rule, action.group)
    ended = S.end_silences(call.db, rule.name, group, call.now)
    if not ended:
        raise NotFound(msg.no_silence(rule.name))
    note(call, "unsilence", rule.name)
    return CR.unsilence_reply(rule.name, group, ended)


def typed_group(rule: Rule, text: Group) -> Group:
    """`silence NAME dall-e-3 for 2h`: the group as the rule's `by` dimension spells it."""
    if text is None:
        return None
    if rule.by is None:
        raise UsageError(msg.not_grouped(rule.name, str(text)))
    param = P.param(rule.by)
    return values.typed(param, str(text), str(text), key=key_of(param), quoted=False)


# -- the table ------------------------------------------------------------------------------


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
}


# -- buttons --------------------------------------------------------------------------------

SILENCE_BUTTONS = {"silence_1h": 1, "silence_4h": 4, "silence_24h": 24}
RULE_BUTTONS = {"rule_pause": "pause", "rule_resume": "resume", "rule_test": "test"}
BUTTONS = (*SILENCE_BUTTONS, "unsilence", *RULE_BUTTONS)


def click(action_id: str, value: str, ctx: Context, rt: Runtime) -> Reply:
    """A button on an alert or a rule card, clicked by ctx.user: the admin is asked again."""
    call = Call(ctx, rt, rt.clock.now(), f"button {action_id} {value}"[: msg.MAX_REASON])
    return perform(button_action(action_id, value), call)


def button_action(action_id: str, value: str) -> Action:
    if action_id in RULE_BUTTONS:
        return RuleVerb(cast(RuleVerbName, RULE_BUTTONS[action_id]), value)
    try:
        target = json.loads(value)
        rule, group = str(target["rule"]), target.get("group")
    except (ValueError, TypeError, KeyError):
        raise UsageError(msg.bad_button(action_id)) from None
    if action_id == "unsilence":
        return Unsilence(rule, group, exact=True)
    hours = timedelta(hours=SILENCE_BUTTONS[action_id])
    return AddSilence(rule, group, hours, exact=True)
