"""What a rule, budget, digest or silence command asks for, once parsed: one small
frozen class per action, built by bot/rule_parse.py and carried out by bot/rule_commands.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from revenium.query import Window
from rules.model import Budget, Digest, Rule
from rules.quiet import QuietHours
from rules.thresholds import Group


@dataclass(frozen=True)
class Where:
    """Who typed the command, where, and when: what defaults are read from."""

    now: datetime
    tz: str  # the workspace default zone (IMGMETRICS_TZ)
    channel: str
    user: str


@dataclass(frozen=True)
class AddRule:
    rule: Rule


RuleVerbName = Literal["show", "delete", "pause", "resume", "test"]


@dataclass(frozen=True)
class RuleVerb:
    verb: RuleVerbName
    name: str


@dataclass(frozen=True)
class ListRules:
    pass


@dataclass(frozen=True)
class Backtest:
    name: str
    window: Window


@dataclass(frozen=True)
class SetBudget:
    budget: Budget


@dataclass(frozen=True)
class BudgetVerb:
    verb: Literal["show", "delete"]
    name: str


@dataclass(frozen=True)
class AddSilence:
    rule: str
    group: Group  # as typed, read against the rule's `by` dimension; or `exact` (a button's)
    duration: timedelta
    reason: str = ""
    exact: bool = False


@dataclass(frozen=True)
class Unsilence:
    rule: str
    group: Group
    exact: bool = False


@dataclass(frozen=True)
class SetDigest:
    digest: Digest


@dataclass(frozen=True)
class DigestVerb:
    verb: Literal["off", "now", "status"]
    channel: str


@dataclass(frozen=True)
class SetQuiet:
    hours: QuietHours


@dataclass(frozen=True)
class QuietOff:
    channel: str


@dataclass(frozen=True)
class ListQuiet:
    pass


Action = (
    AddRule
    | RuleVerb
    | ListRules
    | Backtest
    | SetBudget
    | BudgetVerb
    | AddSilence
    | Unsilence
    | SetDigest
    | DigestVerb
    | SetQuiet
    | QuietOff
    | ListQuiet
)
# Actions that change what the bot posts (plus some verbs: see `changes`).
CHANGES = (AddRule, SetBudget, AddSilence, Unsilence, SetDigest, SetQuiet, QuietOff)


def changes(action: Action) -> bool:
    """Does carrying out `action` change what the bot posts? Only admins may."""
    if isinstance(action, RuleVerb):
        return action.verb in ("delete", "pause", "resume")
    if isinstance(action, BudgetVerb):
        return action.verb == "delete"
    if isinstance(action, DigestVerb):
        return action.verb == "off"
    return isinstance(action, CHANGES)
