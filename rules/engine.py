"""The alert pipeline: fetch → evaluate → step each instance → drop muted → cap → notify.

Pure: the caller hands in the states, a fetch, the silences and `now`, then stores
the new states and enqueues the notifications (`Notification.key` is the outbox
key) in one transaction. `backtest` replays the very same `run_rule` over history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from revenium.errors import ReveniumError
from revenium.query import Query
from rules.model import Rule
from rules.notification import Contributors, NoteKind, Notification, Resolution, slot_of
from rules.schedule import slots
from rules.silences import Silence, expired_while_firing, is_silenced
from rules.state import (
    Cause,
    InstanceState,
    SourceFailure,
    State,
    Transition,
    TransitionKind,
    step,
)
from rules.thresholds import Fetch, Finding, Group, evaluate
from rules.why import Changes

BACKTEST_MAX_STEPS = 50_000  # 30 days every minute fits; more is a mistake, not a backtest


class SourceError(Exception):
    """Raised by a fetch whose own store failed; the message is shown, so no secrets in it."""


SOURCE_ERRORS = (ReveniumError, SourceError)


@dataclass(frozen=True)
class EvaluationResult:
    new_states: dict[Group, InstanceState]
    findings: tuple[Finding, ...] = ()
    notifications: tuple[Notification, ...] = ()
    failure: SourceFailure | None = None
    evaluated: bool = True  # False for a paused rule


def run_rule(
    rule: Rule,
    states: Mapping[Group, InstanceState],
    fetch: Fetch,
    silences: Iterable[Silence],
    now: datetime,
    *,
    contributors: Contributors | None = None,
    changes: Changes | None = None,
) -> EvaluationResult:
    """One evaluation of one rule, from figures to the notifications it causes.

    `contributors(query)` names the top contributors of a new alert, `changes(query)`
    what moved it; they are only called for alerts about to be posted.
    """
    if rule.paused:
        return EvaluationResult(dict(states), evaluated=False)
    try:
        findings = evaluate(rule, fetch, now, known=states)
    except SOURCE_ERRORS as exc:
        failure = SourceFailure(str(exc) or type(exc).__name__, now)
        kept = {g: step(s, failure, rule, now)[0] for g, s in states.items()}
        return EvaluationResult(kept, failure=failure)
    run = _Run(rule, now, list(silences))
    for finding in findings:
        run.add(finding, states.get(finding.group, InstanceState()))
    notes = run.notes(contributors, changes)
    return EvaluationResult(run.kept_states(), tuple(findings), tuple(notes))


@dataclass
class _Instance:
    finding: Finding
    old: InstanceState
    new: InstanceState
    transitions: dict[TransitionKind, Transition]
    muted: bool
    silence_ended: Silence | None

    @property
    def group(self) -> Group:
        return self.finding.group


@dataclass
class _Run:
    """The instances of one evaluation while their notifications are decided."""

    rule: Rule
    now: datetime
    silences: list[Silence]
    instances: list[_Instance] = field(default_factory=list)

    def add(self, finding: Finding, old: InstanceState) -> None:
        new, transitions = step(old, finding, self.rule, self.now)
        name, group = self.rule.name, finding.group
        muted = is_silenced(self.silences, name, group, self.now)
        ended = None
        if new.is_open and not muted:
            ended = expired_while_firing(self.silences, name, group, old.evaluated_at, self.now)
        kinds = {t.kind: t for t in transitions}
        self.instances.append(_Instance(finding, old, new, kinds, muted, ended))

    def notes(
        self, contributors: Contributors | None, changes: Changes | None = None
    ) -> list[Notification]:
        first = [i for i in self.instances if self._first_message_due(i)]
        rest = [n for i in self.instances if i not in first for n in self._follow_up(i)]
        return self._fire(first, contributors, changes) + rest

    def _first_message_due(self, inst: _Instance) -> bool:
        """Fired now, or fired while muted (or folded) and its silence just ended."""
        if inst.muted:
            if "fired" in inst.transitions:
                inst.new = replace(inst.new, notified=False)
            return False
        if "fired" in inst.transitions:
            return True
        if inst.new.held_by is not None and inst.new.state is State.FIRING:
            return True  # held back by another alert: asked again each time (rules/inhibition.py)
        quiet_so_far = inst.silence_ended is not None and not inst.new.notified
        return quiet_so_far and inst.new.state is State.FIRING

    def _follow_up(self, inst: _Instance) -> list[Notification]:
        """Resolves, silence endings and reminders of alerts that have a message."""
        done = inst.transitions.get("resolved")
        if done is not None:
            # Sent even when muted: an alert left red in the channel is a lost resolve.
            if not inst.old.notified or self.rule.one_shot:
                return []
            why = Resolution(done.cause or Cause.RECOVERED)
            return [self._note(NoteKind.RESOLVED, inst, done, resolution=why)]
        if inst.muted or not inst.new.notified:
            return []
        ended = inst.silence_ended
        if ended is not None:
            inst.new = replace(inst.new, last_notified_at=self.now)
            extra = {"slot": slot_of(ended.until), "detail": ended.by}
            return [self._note(NoteKind.SILENCE_ENDED, inst, None, **extra)]
        reminder = inst.transitions.get("reminder")
        if reminder is None:
            return []
        return [self._note(NoteKind.REMINDER, inst, reminder, slot=slot_of(self.now))]

    def _fire(
        self, due: list[_Instance], contributors: Contributors | None, changes: Changes | None
    ) -> list[Notification]:
        """At most `max_groups` alerts of a rule open at once; the rest in one note."""
        open_now = sum(
            1 for i in self.instances if i.new.is_open and i.new.notified and i not in due
        )
        ranked = sorted(due, key=self._severity)
        room = max(0, self.rule.max_groups - open_now)
        out = []
        for inst in ranked[:room]:
            inst.new = replace(inst.new, notified=True, last_notified_at=self.now)
            query = self._query(inst.group)
            found = () if contributors is None else tuple(contributors(query))
            # A held-back alert is asked again each pass: what moved it is asked on release.
            asked = changes is not None and inst.old.held_by is None
            change = changes(query) if changes is not None and asked else None
            out.append(self._note(NoteKind.FIRED, inst, None, contributors=found, change=change))
        folded = ranked[room:]
        for inst in folded:
            inst.new = replace(inst.new, notified=False)
        if folded:
            more = tuple((i.group, i.finding.value) for i in folded)
            rule = self.rule
            note = Notification(
                NoteKind.MORE, rule.name, slot_of(self.now), self.now, rule.channel, more=more
            )
            out.append(note)
        return out

    def _severity(self, inst: _Instance) -> tuple[bool, float]:
        value = inst.finding.value
        if value is None:
            return True, 0.0
        return False, value if self.rule.below else -value

    def _query(self, group: Group) -> Query:
        """The records behind an alert: the rule's filters, window and group."""
        return self.rule.group_query(self.now, group)

    def _note(
        self, kind: NoteKind, inst: _Instance, transition: Transition | None, **extra: Any
    ) -> Notification:
        finding, state = inst.finding, inst.new
        fired_at = transition.fired_at if transition is not None else state.fired_at
        assert fired_at is not None
        values: dict[str, Any] = {
            "slot": slot_of(fired_at),
            "peak": transition.peak if transition is not None else state.peak_value,
            **extra,
        }
        return Notification(
            kind=kind,
            subject=self.rule.name,
            at=self.now,
            channel=self.rule.channel,
            group=finding.group,
            value=finding.value,
            threshold=finding.threshold,
            recovery_threshold=finding.recovery_threshold,
            window=finding.window,
            summary=finding.summary,
            query=self._query(finding.group),
            fired_at=fired_at,
            band=finding.band,
            **values,
        )

    def kept_states(self) -> dict[Group, InstanceState]:
        """New states, less quiet instances whose group had no traffic (nothing to keep)."""
        quiet = (State.NORMAL, State.NODATA)
        return {
            i.group: i.new
            for i in self.instances
            if not (self.rule.by is not None and i.finding.samples == 0 and i.new.state in quiet)
        }


@dataclass(frozen=True)
class SourceHealth:
    """Whether the data source is failing, across all rules: one event each way."""

    failing_since: datetime | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        since = self.failing_since
        return {"failing_since": since.isoformat() if since else None, "error": self.error}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceHealth:
        since = data.get("failing_since")
        return cls(datetime.fromisoformat(since) if since else None, data.get("error"))


def retire(
    rule: Rule,
    states: Mapping[Group, InstanceState],
    now: datetime,
    user: str,
    *,
    cause: Cause = Cause.DELETED,
) -> list[Notification]:
    """Resolves for the alerts of `rule` still open in their channel, as `user` deletes
    the rule (or edits what its alerts mean): its messages must not stay red for good,
    nor claim the spend fell when only the rule changed."""
    return [
        Notification(
            kind=NoteKind.RESOLVED,
            subject=rule.name,
            slot=slot_of(st.fired_at),
            at=now,
            channel=rule.channel,
            group=group,
            value=st.last_value,
            threshold=rule.threshold,
            recovery_threshold=rule.recovery_threshold,
            fired_at=st.fired_at,
            peak=st.peak_value,
            resolution=Resolution(cause, user),
        )
        for group, st in states.items()
        if st.is_open and st.notified and st.fired_at is not None
    ]


def source_events(
    health: SourceHealth, results: Iterable[EvaluationResult], now: datetime
) -> tuple[SourceHealth, list[Notification]]:
    """After a pass over the due rules: "source failing" once, "recovered" once."""
    ran = [r for r in results if r.evaluated]
    failures = [r.failure for r in ran if r.failure is not None]
    if failures and health.failing_since is None:
        message = failures[0].message
        note = Notification(NoteKind.SOURCE_FAILING, "", slot_of(now), now, detail=message)
        return SourceHealth(now, message), [note]
    if ran and not failures and health.failing_since is not None:
        slot = slot_of(health.failing_since)
        note = Notification(NoteKind.SOURCE_RECOVERED, "", slot, now, fired_at=health.failing_since)
        return SourceHealth(), [note]
    return health, []


def backtest(
    rule: Rule,
    fetch_at: Fetch,
    start: datetime,
    end: datetime,
    *,
    max_steps: int = BACKTEST_MAX_STEPS,
    contributors: Contributors | None = None,
    changes: Changes | None = None,
) -> list[tuple[datetime, Notification]]:
    """What `rule` would have posted over [start, end): `run_rule` on a fake clock.

    `fetch_at` answers any past window (the mirror). Silences are left out (and
    contributors unless given); a paused rule is replayed as if active. A source
    failure raises.
    """
    live = replace(rule, paused=False)
    states: dict[Group, InstanceState] = {}
    out: list[tuple[datetime, Notification]] = []
    for at in slots(rule.every, rule.tz, start, end, max_steps):
        result = run_rule(
            live, states, fetch_at, (), at, contributors=contributors, changes=changes
        )
        if result.failure is not None:
            raise SourceError(result.failure.message)
        states = result.new_states
        out.extend((at, note) for note in result.notifications)
    return out
