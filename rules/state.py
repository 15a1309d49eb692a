"""The state machine of one alert instance (rule, group), and its persisted state.

    Normal ─breach─▶ Pending ─for_count breaches in a row─▶ Firing ─below recovery─▶
    Recovering ─below recovery again─▶ Normal (resolved)      Recovering ─breach─▶ Firing

Between the recovery threshold and the threshold nothing changes (hysteresis).
No data: a ratio without a denominator, or with fewer than `min_samples` requests,
is neither a breach nor a recovery: the state is kept (Normal shows as NoData).
No traffic at all counts as a recovery, so a group that disappears while firing
resolves one interval later, like spend dropping to zero. A failing source keeps
every state as it was and only marks it (shown as Error); nothing resolves.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from rules.model import Rule
from rules.thresholds import Finding


class State(StrEnum):
    NORMAL = "normal"
    PENDING = "pending"
    FIRING = "firing"
    RECOVERING = "recovering"
    NODATA = "nodata"
    ERROR = "error"  # shown while the source fails; the underlying state is kept


OPEN = frozenset({State.FIRING, State.RECOVERING})

TransitionKind = Literal["fired", "resolved", "reminder"]


@dataclass(frozen=True)
class SourceFailure:
    """The data source could not answer; carries a message safe to show (no secrets)."""

    message: str
    at: datetime


class Cause(StrEnum):
    """Why an alert resolved."""

    RECOVERED = "recovered"  # back across the recovery threshold
    NO_TRAFFIC = "no_traffic"  # the window saw no requests at all
    DELETED = "deleted"  # the rule was deleted
    EDITED = "edited"  # the rule was edited so that its alerts mean something else


@dataclass(frozen=True)
class Transition:
    kind: TransitionKind
    at: datetime
    value: float | None
    fired_at: datetime  # the incident this belongs to: the key of its first message
    peak: float | None
    cause: Cause | None = None  # resolves: why


@dataclass(frozen=True)
class InstanceState:
    state: State = State.NORMAL
    since: datetime | None = None  # when `state` was entered
    pending_count: int = 0  # breaching evaluations in a row
    last_value: float | None = None
    peak_value: float | None = None  # worst value of the current incident
    fired_at: datetime | None = None  # incident start; with rule and group, the message key
    last_notified_at: datetime | None = None  # the fired message or the last reminder
    evaluated_at: datetime | None = None  # last evaluation that had data from the source
    notified: bool = False  # the incident has a message in the channel (not muted or folded)
    error: str | None = None
    error_since: datetime | None = None
    held_by: str | None = None  # held back by the alert of this key: listed in its thread

    @property
    def status(self) -> State:
        return State.ERROR if self.error_since is not None else self.state

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InstanceState:
        times = {"since", "fired_at", "last_notified_at", "evaluated_at", "error_since"}
        values: dict[str, Any] = {
            k: datetime.fromisoformat(v) if k in times and v is not None else v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
        }
        return cls(**{**values, "state": State(data.get("state", State.NORMAL))})


Step = tuple[InstanceState, list[Transition]]


def step(state: InstanceState, event: Finding | SourceFailure, rule: Rule, now: datetime) -> Step:
    """The next state of one instance after one evaluation, and what to tell the channel."""
    if isinstance(event, SourceFailure):
        return _with(state, error=event.message, error_since=state.error_since or now), []
    state = _with(state, error=None, error_since=None, evaluated_at=now, last_value=event.value)
    if event.breaching:
        return _breach(state, event, rule, now)
    if event.recovered:
        return _recover(state, event, now)
    if event.no_data:
        return _hold(state, now), []
    return _in_band(state, rule, now)


def _breach(state: InstanceState, finding: Finding, rule: Rule, now: datetime) -> Step:
    peak = _worse(rule, state.peak_value, finding.value)
    if state.state in OPEN:
        firing = _move(state, State.FIRING, now, peak_value=peak)
        return _remind(firing, rule, now)
    count = state.pending_count + 1 if state.state is State.PENDING else 1
    if count < rule.for_count:
        return _move(state, State.PENDING, now, pending_count=count, peak_value=peak), []
    fired = _move(
        state,
        State.FIRING,
        now,
        pending_count=0,
        peak_value=peak,
        fired_at=now,
        last_notified_at=now,
        notified=True,
    )
    return fired, [Transition("fired", now, finding.value, now, peak)]


def _recover(state: InstanceState, finding: Finding, now: datetime) -> Step:
    if state.state is State.FIRING:
        return _move(state, State.RECOVERING, now), []
    if state.state is State.RECOVERING:
        assert state.fired_at is not None
        why = Cause.NO_TRAFFIC if finding.no_data else Cause.RECOVERED
        done = Transition("resolved", now, finding.value, state.fired_at, state.peak_value, why)
        return _quiet(state, State.NORMAL, now), [done]
    return _quiet(state, State.NODATA if finding.no_data else State.NORMAL, now), []


def _hold(state: InstanceState, now: datetime) -> InstanceState:
    """Not enough data to judge: keep the state, pending count and incident as they are."""
    if state.state is State.NORMAL:
        return _move(state, State.NODATA, now)
    return state


def _in_band(state: InstanceState, rule: Rule, now: datetime) -> Step:
    """Not breaching, not yet recovered: an open incident stays firing, others settle."""
    if state.state in OPEN:
        return _remind(_move(state, State.FIRING, now), rule, now)
    return _quiet(state, State.NORMAL, now), []


def _remind(state: InstanceState, rule: Rule, now: datetime) -> Step:
    last = state.last_notified_at
    if rule.reminder <= timedelta(0) or last is None or now - last < rule.reminder:
        return state, []
    assert state.fired_at is not None
    reminder = Transition("reminder", now, state.last_value, state.fired_at, state.peak_value)
    return _with(state, last_notified_at=now), [reminder]


def _quiet(state: InstanceState, to: State, now: datetime) -> InstanceState:
    """A closed instance: no incident, no pending run."""
    return _move(
        state,
        to,
        now,
        pending_count=0,
        peak_value=None,
        fired_at=None,
        last_notified_at=None,
        notified=False,
        held_by=None,
    )


def _move(state: InstanceState, to: State, now: datetime, **changes: Any) -> InstanceState:
    since = state.since if to is state.state and state.since is not None else now
    return _with(state, state=to, since=since, **changes)


def _with(old: InstanceState, /, **changes: Any) -> InstanceState:
    """dataclasses.replace without its per-call introspection and frozen __init__ (no
    __post_init__ to skip): a backtest steps every instance thousands of times."""
    new = object.__new__(InstanceState)
    new.__dict__.update(old.__dict__, **changes)
    return new


def _worse(rule: Rule, old: float | None, new: float | None) -> float | None:
    if old is None or new is None:
        return new if old is None else old
    return min(old, new) if rule.below else max(old, new)
