"""The evaluation log's words: per group, what a rule saw and what it sent — or why not.

`rule show` prints these lines, so "why was this alert not posted?" has one answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rules.engine import EvaluationResult
from rules.model import Rule
from rules.notification import NoteKind
from rules.silences import Silence, is_silenced
from rules.state import InstanceState, State
from rules.thresholds import Finding, Group
from storage.alerts import Evaluation

SENT = {
    NoteKind.FIRED: "fired: posted",
    NoteKind.RESOLVED: "resolved: message updated",
    NoteKind.REMINDER: "still firing: reminder posted",
    NoteKind.SILENCE_ENDED: "silence ended, still firing: said in the thread",
    NoteKind.HELD: "firing, held back by another alert (listed in its thread): posts once"
    " nothing holds it back",
}


def evaluation_lines(
    rule: Rule, result: EvaluationResult, at: datetime, silences: Sequence[Silence]
) -> list[Evaluation]:
    if result.failure is not None:
        why = f"source failing ({result.failure.message}): states kept, nothing sent"
        return [Evaluation(at, None, None, State.ERROR.value, why)]
    sent: dict[Group, str] = {}
    for sent_note in result.notifications:
        if sent_note.kind is NoteKind.MORE:
            for group, _ in sent_note.more:
                sent[group] = f"fired: folded into “and {len(sent_note.more)} more” (max_groups)"
        elif sent_note.kind in SENT:
            sent.setdefault(sent_note.group, SENT[sent_note.kind])
    lines = []
    for finding in result.findings:
        new = result.new_states.get(finding.group)
        state = new.status.value if new is not None else State.NORMAL.value
        why = sent.get(finding.group) or quiet(rule, finding, new, silences, at)
        lines.append(Evaluation(at, finding.group, finding.value, state, why))
    return lines


def quiet(
    rule: Rule,
    finding: Finding,
    state: InstanceState | None,
    silences: Sequence[Silence],
    at: datetime,
) -> str:
    """Why nothing was sent for this group."""
    if state is None:
        return "no traffic: nothing to keep"
    if is_silenced(silences, rule.name, finding.group, at):
        return f"silenced ({state.state.value})"
    if finding.no_data:
        return f"not enough data: {finding.reason or 'no data'}"
    return _by_state(rule, state)


def _by_state(rule: Rule, state: InstanceState) -> str:
    if state.state is State.FIRING and not state.notified:
        return "firing, not posted (muted or folded when it fired)"
    return {
        State.PENDING: f"breaching {state.pending_count}/{rule.for_count}:"
        f" fires after {rule.for_count}",
        State.RECOVERING: "below the recovery threshold once: resolves on the next evaluation",
        State.FIRING: f"still firing: already posted; reminders every {_span(rule)}",
    }.get(state.state, "within limits")


def _span(rule: Rule) -> str:
    hours = rule.reminder.total_seconds() / 3600
    return "never" if hours <= 0 else f"{hours:g} h"
