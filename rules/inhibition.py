"""Inhibition: an alert up in a channel holds back alerts that say the same thing narrower.

Three ways, as Alertmanager's inhibit rules: a rule that `inhibits` another holds back
its alerts on a scope that does not contradict its own; a `critical` alert holds back a
`warning` one on the same scope (same metric, same filters and group); an alert on a
whole provider holds back per-model alerts (same metric) whose spend is all on that
provider. A held-back alert is not posted: it is listed in the holder's thread, keeps
firing, and posts as usual once nothing holds it back (the engine asks again each time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from revenium import params as P
from revenium.query import Value
from rules.model import Metric, Rule
from rules.notification import NoteKind, Notification, fired_key
from rules.state import InstanceState
from rules.thresholds import Group

PROVIDER, MODEL = P.param("provider").name, P.param("model").name
Why = Literal["inhibits", "severity", "provider"]
# The providers a (rule, group)'s spend in its window was on: asked only when it matters.
Providers = Callable[[Rule, Group], frozenset[Value]]


@dataclass(frozen=True)
class Scope:
    """What an alert is about: its metric and the exact values its records share."""

    metric: Metric
    bindings: frozenset[tuple[str, Value]]

    def value(self, dimension: str) -> Value | None:
        return next((v for d, v in self.bindings if d == dimension), None)

    def agrees(self, other: Scope) -> bool:
        """No dimension that both pin is pinned to different values."""
        mine = dict(self.bindings)
        return all(mine.get(d, v) == v for d, v in other.bindings)


def scope_of(rule: Rule, group: Group) -> Scope:
    pinned = {(n, v) for n, v in rule.query.filters if P.param(n).role is P.Role.FILTER}
    if rule.by is not None and group is not None:
        pinned.add((rule.by, group))
    return Scope(rule.metric, frozenset(pinned))


@dataclass(frozen=True)
class Holder:
    """An alert that is up in its channel (or posts in this pass) and may hold others back."""

    rule: Rule
    group: Group
    key: str  # its first message's outbox key: held-back notes go in its thread
    scope: Scope

    @classmethod
    def of(cls, rule: Rule, group: Group, key: str) -> Holder:
        return cls(rule, group, key, scope_of(rule, group))


def holder(rule: Rule, group: Group, state: InstanceState) -> Holder | None:
    """The instance as a holder when it has a message of its own and is open."""
    if not (state.is_open and state.notified and state.held_by is None and state.fired_at):
        return None
    return Holder.of(rule, group, fired_key(rule.name, group, state.fired_at))


@dataclass
class Holders:
    """The holders of a pass, indexed by the only ways they can hold an alert back, so
    that 1,000 alerts firing at once are not each compared with every other."""

    named: dict[str, list[Holder]] = field(default_factory=dict)  # by the rule they inhibit
    critical: dict[Scope, list[Holder]] = field(default_factory=dict)
    providers: list[Holder] = field(default_factory=list)  # on a whole provider
    rank: dict[str, int] = field(default_factory=dict)  # first added, first asked

    def add(self, found: Holder) -> None:
        self.rank.setdefault(found.key, len(self.rank))
        for name in found.rule.inhibits:
            self.named.setdefault(name, []).append(found)
        if found.rule.severity == "critical":
            self.critical.setdefault(found.scope, []).append(found)
        if found.scope.value(PROVIDER) is not None and found.scope.value(MODEL) is None:
            self.providers.append(found)

    def candidates(self, rule: Rule, scope: Scope) -> list[Holder]:
        found = [*self.named.get(rule.name, ()), *self.critical.get(scope, ()), *self.providers]
        return sorted(found, key=lambda h: self.rank[h.key])


def why_held(src: Holder, rule: Rule, group: Group, providers: Providers) -> Why | None:
    """Whether `src` holds back `rule`'s alert for `group`, and by which of the three ways."""
    if src.rule.name == rule.name or (src.rule.severity, rule.severity) == ("warning", "critical"):
        return None  # an alert does not hold itself back; a critical one always speaks
    mine, theirs = src.scope, scope_of(rule, group)
    if rule.name in src.rule.inhibits and mine.agrees(theirs):
        return "inhibits"
    if mine.metric is not theirs.metric:
        return None
    if src.rule.severity == "critical" and rule.severity == "warning" and mine == theirs:
        return "severity"
    return "provider" if _within_provider(mine, theirs, lambda: providers(rule, group)) else None


def _within_provider(mine: Scope, theirs: Scope, providers: Callable[[], frozenset[Value]]) -> bool:
    """`mine` is on a whole provider, `theirs` on one model whose spend is all on it."""
    provider = mine.value(PROVIDER)
    if provider is None or mine.value(MODEL) is not None or theirs.value(MODEL) is None:
        return False
    rest = mine.bindings - {(PROVIDER, provider)}
    return rest <= theirs.bindings and providers() == {provider}


@dataclass(frozen=True)
class Fired:
    """One rule's FIRED notification of this pass, with the state it leaves."""

    rule: Rule
    note: Notification
    state: InstanceState


@dataclass(frozen=True)
class Decision:
    note: Notification  # the FIRED note to post, or the HELD note in the holder's thread
    state: InstanceState


def decide(
    fired: Sequence[Fired], standing: Iterable[Holder], providers: Providers
) -> list[Decision]:
    """For each alert about to post, in order (critical first): post it, or hold it back.

    An alert that posts holds back the ones decided after it; a held-back one holds
    nothing back (it has no message for notes to go in), so inhibition cannot loop.
    """
    holders = Holders()
    for standing_holder in standing:
        holders.add(standing_holder)
    out = []
    for item in sorted(fired, key=_order):
        note = item.note
        scope = scope_of(item.rule, note.group)
        found = next(
            (
                (h, w)
                for h in holders.candidates(item.rule, scope)
                if (w := why_held(h, item.rule, note.group, providers))
            ),
            None,
        )
        if found is None:
            holders.add(Holder(item.rule, note.group, note.key, scope))
            out.append(Decision(note, replace(item.state, held_by=None)))
            continue
        src, why = found
        held = replace(
            note,
            kind=NoteKind.HELD,
            channel=src.rule.channel,
            parent=src.key,
            detail=f"{why}:{src.rule.name}",  # read by bot/render/held.py:held
        )
        state = replace(item.state, notified=False, last_notified_at=None, held_by=src.key)
        out.append(Decision(held, state))
    return out


def _order(item: Fired) -> tuple[bool, bool, bool, str, str]:
    """Who may hold others back is decided first: critical alerts, rules that inhibit
    others, alerts on more than one model."""
    rule, group = item.rule, item.note.group
    narrow = scope_of(rule, group).value(MODEL) is not None
    return rule.severity != "critical", not rule.inhibits, narrow, rule.name, str(group)
