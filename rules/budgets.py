"""Budgets: calendar periods in a zone, thresholds that latch once per period, a forecast.

Periods start at local midnight (a day may last 23, 23.5, 24.5 or 25 hours); the
caller keeps the latched thresholds per period start. The forecast is linear:
spend so far divided by the fraction of the period elapsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from revenium.query import Query, Window
from rules.model import Budget, Period
from rules.schedule import local_instant


def period_bounds(period: Period, tz: str, now: datetime) -> tuple[datetime, datetime]:
    """The calendar day, week (from Monday) or month holding `now`, as UTC [start, end)."""
    today = now.astimezone(ZoneInfo(tz)).date()
    if period is Period.DAY:
        first, last = today, today + timedelta(days=1)
    elif period is Period.WEEK:
        first = today - timedelta(days=today.weekday())
        last = first + timedelta(days=7)
    else:
        first = today.replace(day=1)
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return local_instant(first, time(0), tz), local_instant(last, time(0), tz)


def budget_query(budget: Budget, now: datetime) -> Query:
    """The spend to compare: the budget's filters over the whole current period."""
    start, end = period_bounds(budget.period, budget.tz, now)
    return budget.query.with_window(Window(start, end, budget.tz, _LABELS[budget.period]))


_LABELS = {Period.DAY: "today", Period.WEEK: "this week", Period.MONTH: "this month"}


@dataclass(frozen=True)
class BudgetStatus:
    spent: float
    amount: float
    start: datetime
    end: datetime
    elapsed: float  # fraction of the period gone, 0–1
    projected: float | None  # linear forecast for the period; None too early to tell

    @property
    def used(self) -> float:
        return self.spent / self.amount


def budget_status(budget: Budget, spent: float, now: datetime) -> BudgetStatus:
    start, end = period_bounds(budget.period, budget.tz, now)
    elapsed = min(1.0, (now - start) / (end - start))
    early = elapsed <= 0 or elapsed < budget.min_elapsed_fraction
    return BudgetStatus(
        spent, budget.amount, start, end, elapsed, None if early else spent / elapsed
    )


@dataclass(frozen=True)
class BudgetEvent:
    kind: Literal["threshold", "forecast"]
    budget: str
    status: BudgetStatus
    threshold: int | None = None  # the percentage crossed (threshold events)
    latches: frozenset[int] = frozenset()  # every threshold this event settles for the period

    @property
    def key(self) -> str:
        """Outbox key: budget, period, kind, threshold; one post each per period."""
        slot = self.status.start.isoformat()
        return json.dumps([self.budget, slot, self.kind, self.threshold])


def evaluate_budget(
    budget: Budget,
    spent: float,
    now: datetime,
    latched: frozenset[int],
    *,
    forecast_sent: bool = False,
) -> list[BudgetEvent]:
    """What to post now. `latched`: thresholds already settled in this period.

    Crossing several thresholds at once posts only the highest and latches all
    of them. The forecast warns once per period, while the spend is still under
    the amount (over it, the 100 % threshold speaks) but projected to end over.
    """
    status = budget_status(budget, spent, now)
    events: list[BudgetEvent] = []
    crossed = frozenset(t for t in budget.thresholds if spent >= budget.amount * t / 100)
    fresh = crossed - latched
    # A threshold under one already posted (thresholds edited mid-period) stays quiet.
    if fresh and max(fresh) > max(latched, default=0):
        events.append(BudgetEvent("threshold", budget.name, status, max(fresh), fresh))
    projected = status.projected
    if (
        budget.forecast
        and not forecast_sent
        and projected is not None
        and projected > budget.amount > spent
    ):
        events.append(BudgetEvent("forecast", budget.name, status))
    return events
