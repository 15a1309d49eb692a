"""One evaluation of a rule: its window, its metric per group, and the verdict per group.

`evaluate` reads figures only through the injected `fetch`; zero traffic is data
(a cost of 0), while a ratio with no denominator, or too few requests, is "no data".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from revenium.figures import Summary, summarize
from revenium.query import Query, Value, Window
from rules.model import Metric, Rule

Group = Value | None  # the value of the rule's `by` dimension; None for an ungrouped rule
Fetch = Callable[[Query], Sequence[tuple[Group, Summary]]]

EMPTY = summarize(())


@dataclass(frozen=True)
class Finding:
    group: Group
    value: float | None  # None when there is no data to judge
    threshold: float
    recovery_threshold: float
    breaching: bool
    recovered: bool  # below the recovery threshold, or no traffic at all
    no_data: bool
    samples: int  # requests in the window
    summary: Summary
    window: Window
    baseline: Summary | None = None  # change rules: the shifted window's figures
    reason: str = ""  # why there is no data, in words


def evaluate(rule: Rule, fetch: Fetch, now: datetime, known: Iterable[Group] = ()) -> list[Finding]:
    """Findings for every group in the window, plus `known` groups (zero when absent)."""
    window, *shifted = windows(rule, now)
    query = rule.query_at(now)
    rows = _rows(fetch(query))
    # An ungrouped rule always has its one instance; a grouped one keeps those it knows.
    for group in (None,) if rule.by is None else tuple(known):
        rows.setdefault(group, EMPTY)
    baseline: dict[Group, Summary] = {}
    if shifted:
        baseline = _rows(fetch(query.with_window(shifted[0])))
    return [
        judge(rule, group, summary, window, baseline.get(group, EMPTY) if baseline else None)
        for group, summary in rows.items()
    ]


def windows(rule: Rule, now: datetime) -> tuple[Window, ...]:
    """The windows an evaluation at `now` reads: the rule's own, then (change rules) the
    same span shifted back. Backtests bucket history on the grid these fall on."""
    window = rule.window_at(now)
    if rule.baseline is None:
        return (window,)
    shift = rule.baseline.shift
    return window, Window(window.start - shift, window.end - shift, window.tz)


def judge(
    rule: Rule, group: Group, summary: Summary, window: Window, baseline: Summary | None = None
) -> Finding:
    """The verdict on one group's figures (and, for change rules, its baseline's)."""
    value, reason = measure(rule, summary)
    if rule.baseline is not None and value is not None:
        value, reason = _change(rule, value, baseline or EMPTY)
    breaching = value is not None and breaches(rule, value)
    return Finding(
        group=group,
        value=value,
        threshold=rule.threshold,
        recovery_threshold=rule.recovery_threshold,
        breaching=breaching,
        # No value: recovered only when nothing was asked at all, so no error rate is left
        # to alert on (see state.py).
        recovered=summary.requests == 0 if value is None else recovers(rule, value, breaching),
        no_data=value is None,
        samples=summary.requests,
        summary=summary,
        window=window,
        baseline=baseline,
        reason=reason,
    )


def measure(rule: Rule, summary: Summary) -> tuple[float | None, str]:
    """The rule's metric from a summary, or None and the reason there is none."""
    metric = rule.metric
    if metric is Metric.ERROR_RATE:
        if summary.requests == 0:
            return None, "no requests"
        if summary.requests < rule.min_samples:
            return None, f"{summary.requests} requests, fewer than the minimum {rule.min_samples}"
        return summary.error_rate, ""
    if metric is Metric.COST_PER_IMAGE:
        if summary.cost_per_image is None:
            return None, "no images"
        return summary.cost_per_image, ""
    return float(_SUMS[metric](summary)), ""


_SUMS: dict[Metric, Callable[[Summary], float]] = {
    Metric.COST: lambda s: s.cost,
    Metric.ERRORS: lambda s: s.errors,
    Metric.IMAGES: lambda s: s.images,
    Metric.WASTED_COST: lambda s: s.wasted_cost,
    Metric.SHORTFALL: lambda s: s.shortfall,
}


def _change(rule: Rule, current: float, baseline: Summary) -> tuple[float | None, str]:
    """Percent rise (or fall) against the baseline window, if it has volume enough."""
    assert rule.baseline is not None
    before, reason = measure(rule, baseline)
    if before is None or before <= 0 or baseline.requests < rule.baseline.min_requests:
        return None, reason or f"too little to compare with ({baseline.requests} requests before)"
    delta = (current - before) / before * 100
    return (delta if rule.baseline.direction == "rise" else -delta), ""


def breaches(rule: Rule, value: float) -> bool:
    return _COMPARE[rule.op](value, rule.threshold)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def recovers(rule: Rule, value: float, breaching: bool) -> bool:
    """Past the recovery threshold; with no band (ratio 1, or a zero threshold), not breaching."""
    if breaching:
        return False
    limit = rule.recovery_threshold
    if limit == rule.threshold:
        return True
    return value > limit if rule.below else value < limit


def _rows(rows: Sequence[tuple[Group, Summary]]) -> dict[Group, Summary]:
    out: dict[Group, Summary] = {}
    for group, summary in rows:
        if group in out:
            raise ValueError(f"fetch returned the group {group!r} twice")
        out[group] = summary
    return out
