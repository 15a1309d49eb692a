"""Carrying out rule and budget commands (one namespace: a name is a rule or a budget):
add with its card and backtest, list, show, test, pause, resume, delete, backtest.
"""

from __future__ import annotations

from dataclasses import replace

from sqlite_utils import Database

from bot.alerts.outgoing import outgoing
from bot.commands.call import Call, note
from bot.errors import NotFound, UsageError
from bot.grammar import rule_messages as msg
from bot.grammar.actions import AddRule, Backtest, BudgetVerb, ListRules, RuleVerb, SetBudget
from bot.grammar.rule import DEFAULT_BACKTEST
from bot.grammar.suggest import closest
from bot.render import backtest as PR
from bot.render import changes as CR
from bot.render import rule_card as RR
from bot.reply import Reply
from revenium.query import Window
from rules.budgets import budget_query, budget_status
from rules.engine import SOURCE_ERRORS, retire
from rules.model import Budget, Rule
from rules.replay import BacktestResult, BeyondHistory, preview, run_backtest
from rules.state import Cause
from storage import alerts as A
from storage import budgets as BG
from storage import outbox as O
from storage import silences as S


def add_rule(action: AddRule, call: Call) -> Reply:
    rule, db = action.rule, call.db
    if BG.get_budget(db, rule.name) is not None:
        raise UsageError(msg.name_taken(rule.name, "budget"))
    old = A.get_rule(db, rule.name)
    reset = old is not None and not old.keeps_instances(rule)
    resolves = (
        []
        if old is None or not reset
        else [
            outgoing(n, rule=old)
            for n in retire(
                old, A.load_states(db, rule.name), call.now, call.ctx.user, cause=Cause.EDITED
            )
        ]
    )
    A.save_rule(db, rule, call.now, reset=reset, outgoing=resolves)
    note(call, "rule add" if old is None else "rule edit", rule.name)
    mark = "✅" if old is None else "✏️"
    # The card's backtest is its slow part: Slack shows the card without it if it keeps
    # the asker waiting, then replaces the card with the whole of it (bot/slack/early.py).
    card = RR.rule_card(rule, RR.Running(DEFAULT_BACKTEST.days), mark=mark)
    return replace(card, later=lambda: RR.rule_card(rule, card_backtest(rule, call), mark=mark))


def card_backtest(rule: Rule, call: Call) -> BacktestResult | str:
    """The rule card's backtest over the last 14 days, or why there is none."""
    window = Window(call.now - DEFAULT_BACKTEST, call.now, rule.tz, "last 14 days")
    try:
        return run_backtest(rule, call.rt.history, window)
    except BeyondHistory as error:
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
    resolves = (
        []
        if rule is None
        else [
            outgoing(n, rule=rule)
            for n in retire(rule, A.load_states(call.db, name), call.now, call.ctx.user)
        ]
    )
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
    return PR.backtest_reply(rule, run_backtest(rule, call.rt.history, action.window))


def find_rule(db: Database, name: str) -> Rule:
    rule = A.get_rule(db, name)
    if rule is None:
        raise NotFound(msg.no_rule(name, _guess(db, name)))
    return rule


def _guess(db: Database, name: str) -> str | None:
    names = [r.name for r in A.list_rules(db)] + [b.name for b in BG.list_budgets(db)]
    return closest(name, names)


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
