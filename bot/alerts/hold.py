"""A pass's alerts before they are rendered and stored: those another alert holds back
become notes in its thread (rules/inhibition.py); what that needs to know of all rules
(the alerts already up, the providers of a model's spend) is gathered here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from revenium.query import Value
from rules.cache import SourceCache
from rules.engine import SOURCE_ERRORS, EvaluationResult
from rules.inhibition import PROVIDER, Decision, Fired, Holder, decide, holder
from rules.model import Rule
from rules.notification import NoteKind, Notification
from rules.state import InstanceState
from rules.thresholds import Group

States = Mapping[str, Mapping[Group, InstanceState]]


@dataclass(frozen=True)
class Evaluated:
    """One rule's evaluation in this pass, at its schedule slot."""

    rule: Rule
    slot: datetime
    result: EvaluationResult


def hold_back(
    runs: Sequence[Evaluated], rules: Sequence[Rule], stored: States, cache: SourceCache
) -> list[Evaluated]:
    """The runs with the alerts another alert holds back turned into notes in its thread."""
    fired = [
        Fired(run.rule, note, run.result.new_states[note.group])
        for run in runs
        for note in run.result.notifications
        if note.kind is NoteKind.FIRED
    ]
    if not fired:
        return list(runs)
    slots = {run.rule.name: run.slot for run in runs}

    def providers(rule: Rule, group: Group) -> frozenset[Value]:
        try:
            rows = cache.rows(rule.group_query(slots[rule.name], group), PROVIDER)
        except SOURCE_ERRORS:
            return frozenset()
        return frozenset(v for v, s in rows if s.requests and v is not None)

    standing = _standing(runs, rules, stored, {(f.rule.name, f.note.group) for f in fired})
    decided = {(d.note.subject, d.note.group): d for d in decide(fired, standing, providers)}
    return [_apply(run, decided, cache) for run in runs]


def _standing(
    runs: Sequence[Evaluated], rules: Sequence[Rule], stored: States, fresh: set[tuple[str, Group]]
) -> list[Holder]:
    """Alerts already up in a channel (as this pass leaves them), but those firing now."""
    now = {run.rule.name: run.result.new_states for run in runs}
    out = []
    for rule in rules:
        for group, state in now.get(rule.name, stored.get(rule.name, {})).items():
            found = None if (rule.name, group) in fresh else holder(rule, group, state)
            if found is not None:
                out.append(found)
    return out


def _apply(
    run: Evaluated, decided: Mapping[tuple[str, Group], Decision], cache: SourceCache
) -> Evaluated:
    notes, states = [], dict(run.result.new_states)
    for note in run.result.notifications:
        done = decided.get((note.subject, note.group)) if note.kind is NoteKind.FIRED else None
        if done is None:
            notes.append(note)
            continue
        states[note.group] = done.state
        notes.append(_released(done.note, run.rule, cache))
    result = replace(run.result, notifications=tuple(notes), new_states=states)
    return replace(run, result=result)


def _released(note: Notification, rule: Rule, cache: SourceCache) -> Notification:
    """An alert held back until now posts with what moved it (the engine did not ask)."""
    changes = cache.changes(rule)
    if note.kind is not NoteKind.FIRED or note.change is not None or note.query is None:
        return note
    return note if changes is None else replace(note, change=changes(note.query))
