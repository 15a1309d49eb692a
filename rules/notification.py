"""What a channel is told: the Notification, its kinds, and its dedup (outbox) key.

Alerts, budget posts and data-source events all travel as Notifications; the
key (subject, group, kind, slot) names each one once, so a retried or restarted
pass can never post it twice. Rendering and sending live in bot/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from revenium.figures import Summary
from revenium.query import Query, Value, Window
from rules.anomaly import Band
from rules.budgets import BudgetEvent, budget_query
from rules.model import Budget
from rules.state import Cause
from rules.thresholds import Group
from rules.why import Change


class NoteKind(StrEnum):
    FIRED = "fired"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    SILENCE_ENDED = "silence_ended"
    MORE = "more"  # instances past the rule's max_groups, folded into one "and N more"
    HELD = "held"  # an alert held back by another (inhibition), said in that one's thread
    BUDGET_THRESHOLD = "budget_threshold"
    BUDGET_FORECAST = "budget_forecast"
    SOURCE_FAILING = "source_failing"
    SOURCE_RECOVERED = "source_recovered"


@dataclass(frozen=True)
class Contributor:
    dimension: str  # API name of the dimension, e.g. "agent"
    value: Value | None
    cost: float
    share: float  # of the alert's cost, 0–1


Contributors = Callable[[Query], Sequence[Contributor]]


@dataclass(frozen=True)
class Resolution:
    """Why an alert resolved, and who changed the rule when that was the cause."""

    cause: Cause
    by: str = ""  # the user who deleted or edited the rule


@dataclass(frozen=True)
class Notification:
    """Something to tell a channel; `render` in bot/ turns it into a message."""

    kind: NoteKind
    subject: str  # rule or budget name; "" for the data source
    slot: str  # with subject, group and kind: the dedup key
    at: datetime
    channel: str = ""
    group: Group = None
    value: float | None = None  # the metric; for budgets the spend
    threshold: float | None = None  # for budgets the amount
    recovery_threshold: float | None = None
    window: Window | None = None  # for budgets the period
    summary: Summary | None = None
    query: Query | None = None  # reproduces the numbers ("Show records")
    contributors: tuple[Contributor, ...] = ()
    fired_at: datetime | None = None
    peak: float | None = None
    percent: int | None = None  # budget threshold crossed
    projected: float | None = None  # budget forecast for the period
    resolution: Resolution | None = None  # resolves: why
    detail: str = ""  # who set a silence that ended; the source's error
    more: tuple[tuple[Group, float | None], ...] = ()  # folded instances and their values
    band: Band | None = None  # anomaly alerts: what past weeks call normal
    change: Change | None = None  # fired alerts: what moved vs the window before (rules/why.py)
    parent: str | None = None  # held-back notes: the key of the alert that holds them back

    @property
    def dedup(self) -> tuple[str, Group, str, str]:
        return self.subject, self.group, self.kind.value, self.slot

    @property
    def key(self) -> str:
        return json.dumps(list(self.dedup))

    @property
    def thread_key(self) -> str | None:
        """The key of the message this one edits or replies to (resolves, reminders...)."""
        if self.parent is not None:
            return self.parent
        first = _THREADS.get(self.kind)
        if first is None or self.fired_at is None:
            return None
        return json.dumps([self.subject, self.group, first.value, slot_of(self.fired_at)])


def fired_key(rule: str, group: Group, fired_at: datetime) -> str:
    """The outbox key of an alert's first message: what its resolve edits, its thread."""
    return json.dumps([rule, group, NoteKind.FIRED.value, slot_of(fired_at)])


_THREADS = {
    NoteKind.RESOLVED: NoteKind.FIRED,
    NoteKind.REMINDER: NoteKind.FIRED,
    NoteKind.SILENCE_ENDED: NoteKind.FIRED,
    NoteKind.SOURCE_RECOVERED: NoteKind.SOURCE_FAILING,
}


def budget_notifications(
    budget: Budget, events: Iterable[BudgetEvent], now: datetime
) -> list[Notification]:
    kinds = {"threshold": NoteKind.BUDGET_THRESHOLD, "forecast": NoteKind.BUDGET_FORECAST}
    query = budget_query(budget, now)
    return [
        Notification(
            kind=kinds[e.kind],
            subject=budget.name,
            slot=f"{slot_of(e.status.start)}/{e.threshold or ''}",
            at=now,
            channel=budget.channel,
            value=e.status.spent,
            threshold=budget.amount,
            window=query.window,
            query=query,
            percent=e.threshold,
            projected=e.status.projected,
        )
        for e in events
    ]


def slot_of(when: datetime) -> str:
    """An instant as it appears in keys: always UTC, so one instant has one spelling."""
    return when.astimezone(UTC).isoformat()
