"""The digest's figures: the local day (or week) that just ended in the digest's zone,
against the period before and the 7-day average, with what moved spend since the period
before, top spenders, error reasons, budget pace, the month-end forecast, recent alerts
and silences, and 14 days of daily spend.

Pure: the figures come from a MetricsSource, and what only storage knows (budgets,
alerts, silences) is handed in as `Extras` (bot/alerts/digest.py reads it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from revenium import params as P
from revenium import windows as W
from revenium.figures import Summary
from revenium.query import Query, Window
from revenium.source import MetricsSource
from rules.budgets import BudgetStatus, budget_query, budget_status
from rules.forecast import Forecast, forecast, month_to_date, pace_window
from rules.model import DEFAULT_SETTLE, Budget, Digest
from rules.silences import Silence
from rules.why import Change, explain, rows_of

TOP = 5
SPARK_DAYS = 14
AVERAGE_DAYS = 7
SOON = timedelta(hours=24)  # silences ending before the next daily digest
ALERT_KINDS = ("fired", "resolved")
DIMENSIONS = tuple(P.param(name).name for name in ("model", "provider", "agent"))
ERROR_REASON = P.param("errorReason").name


@dataclass(frozen=True)
class Extras:
    """What the digest tells besides the metrics: from storage, for the digest's channel."""

    budgets: tuple[Budget, ...] = ()
    alerts: tuple[tuple[str, str], ...] = ()  # (rule, "fired" | "resolved"), last 24 h
    silences: tuple[Silence, ...] = ()  # active, ending within a day


NO_EXTRAS = Extras()


@dataclass(frozen=True)
class Average:
    """Per-day figures averaged over several days; ratios over the days' totals."""

    cost: float
    images: float
    requests: float
    error_rate: float | None
    cost_per_image: float | None


@dataclass(frozen=True)
class DigestFigures:
    digest: Digest
    first_day: date  # the first local day covered
    days: int  # 1 (daily) or 7 (weekly)
    query: Query  # the digest's filters over the period: "Show records" reproduces it
    summary: Summary
    before: Summary  # the period before
    average: Average | None  # daily digests: the 7 days before
    top: dict[str, list[tuple[Any, Summary]]]  # dimension -> top rows by cost
    errors: list[tuple[str, Summary]]  # error reason -> figures, most frequent first
    daily_costs: list[tuple[date, float]]  # the last 14 local days, oldest first
    budgets: list[tuple[Budget, BudgetStatus]]
    alerts: dict[str, dict[str, int]]  # rule -> {"fired": n, "resolved": n}
    silences: tuple[Silence, ...]
    late: bool
    change: Change | None = None  # what moved spend since the period before
    forecast: Forecast | None = None  # the month of the period's last day, to its end


def period_window(digest: Digest, local_date: date) -> Window:
    """The local day (weekly: the 7 days) before `local_date`, the date the digest posts."""
    days = 1 if digest.weekday is None else 7
    return _days(local_date - timedelta(days=days), days, digest.tz)


def post_time(digest: Digest, local_date: date, at: datetime) -> datetime:
    """When the digest of `local_date`, due at `at`, may post: not before the day it covers
    has settled (metering lag), so a 00:00 digest waits until 00:05."""
    return max(at, period_window(digest, local_date).end + DEFAULT_SETTLE)


def _days(first: date, days: int, tz: str) -> Window:
    zone = ZoneInfo(tz)
    start, end = W.midnight(first, zone), W.midnight(first + timedelta(days=days), zone)
    label = first.strftime("%a %b %d") if days == 1 else f"week of {first:%b %d}"
    return Window(start, end, tz, label)


def digest_figures(
    source: MetricsSource,
    digest: Digest,
    local_date: date,
    now: datetime,
    *,
    extras: Extras = NO_EXTRAS,
    late: bool = False,
) -> DigestFigures:
    window = period_window(digest, local_date)
    days = 1 if digest.weekday is None else 7
    first = local_date - timedelta(days=days)
    query = digest.query.with_window(window)
    spark_first = local_date - timedelta(days=SPARK_DAYS)
    series = source.series(
        digest.query.with_window(_days(spark_first, SPARK_DAYS, digest.tz)), "day", digest.tz
    )
    daily = [s for _, s in series]
    before = _days(first - timedelta(days=days), days, digest.tz)
    return DigestFigures(
        digest=digest,
        first_day=first,
        days=days,
        query=query,
        summary=source.summary(query),
        before=source.summary(digest.query.with_window(before)),
        average=average(daily[-1 - AVERAGE_DAYS : -1]) if days == 1 else None,
        top={d: source.grouped(query, d)[:TOP] for d in DIMENSIONS},
        errors=_errors(source.grouped(query, ERROR_REASON)),
        daily_costs=[(spark_first + timedelta(days=i), s.cost) for i, s in enumerate(daily)],
        budgets=_budgets(source, digest, extras.budgets, now),
        alerts=_alerts(extras.alerts),
        silences=extras.silences,
        late=late,
        change=explain(rows_of(source), query, before),
        forecast=month_end(source, digest, window.end),
    )


def month_end(source: MetricsSource, digest: Digest, at: datetime) -> Forecast:
    """Where the month of the digest's period is heading, from its spend up to `at`."""
    month = month_to_date(at - timedelta(microseconds=1), digest.tz)
    month = Window(month.start, at, digest.tz, month.label)
    so_far = source.summary(digest.query.with_window(month)).cost
    recent = source.summary(digest.query.with_window(pace_window(month))).cost
    return forecast(month, so_far, recent)


def average(days: Sequence[Summary]) -> Average:
    n = len(days) or 1
    cost = sum(s.cost for s in days)
    images = sum(s.images for s in days)
    requests = sum(s.requests for s in days)
    errors = sum(s.errors for s in days)
    return Average(
        cost=cost / n,
        images=images / n,
        requests=requests / n,
        error_rate=errors / requests if requests else None,
        cost_per_image=cost / images if images else None,
    )


def _errors(rows: list[tuple[Any, Summary]]) -> list[tuple[str, Summary]]:
    found = [(str(reason), s) for reason, s in rows if reason]
    found.sort(key=lambda row: (-row[1].requests, -row[1].wasted_cost, row[0]))
    return found[:TOP]


def _budgets(
    source: MetricsSource, digest: Digest, budgets: Sequence[Budget], now: datetime
) -> list[tuple[Budget, BudgetStatus]]:
    mine = [b for b in budgets if b.channel == digest.channel]
    return [(b, budget_status(b, source.summary(budget_query(b, now)).cost, now)) for b in mine]


def _alerts(events: Sequence[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for rule, kind in events:
        counts = out.setdefault(rule, dict.fromkeys(ALERT_KINDS, 0))
        if kind in counts:
            counts[kind] += 1
    return out
