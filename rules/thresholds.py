"""One evaluation of a rule: its window, its metric per group, and the verdict per group.

`evaluate` reads figures only through the injected `fetch`; zero traffic is data
(a cost of 0), while a ratio with no denominator, or too few requests, is "no data".
Change, anomaly and new-value rules read more windows through the same `fetch`: the
shifted window, the same window in past weeks (rules/anomaly.py), the 30 days before
(rules/novelty.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from revenium.figures import Summary, summarize
from revenium.query import Query, Value, Window
from rules import novelty
from rules.anomaly import Band, band, past_weeks
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
    band: Band | None = None  # anomaly rules: what past weeks call normal


def evaluate(rule: Rule, fetch: Fetch, now: datetime, known: Iterable[Group] = ()) -> list[Finding]:
    """Findings for every group in the window, plus `known` groups (zero when absent)."""
    window, *shifted = windows(rule, now)
    query = rule.query_at(now)
    rows = _rows(fetch(query))
    # An ungrouped rule always has its one instance; a grouped one keeps those it knows.
    for group in (None,) if rule.by is None else tuple(known):
        rows.setdefault(group, EMPTY)
    if rule.anomaly is not None:
        return _anomalies(rule, fetch, query, shifted, rows)
    if rule.kind is Metric.NEW_VALUE:
        return _novelties(fetch, query, shifted, rows)
    baseline: dict[Group, Summary] = {}
    if rule.baseline is not None:
        baseline = _rows(fetch(query.with_window(shifted[0])))
    return [
        judge(rule, group, summary, window, baseline.get(group, EMPTY) if baseline else None)
        for group, summary in rows.items()
    ]


def windows(rule: Rule, now: datetime) -> tuple[Window, ...]:
    """The windows an evaluation at `now` reads: the rule's own, then those it compares
    with — a change rule's span shifted back, an anomaly rule's past weeks, a new-value
    rule's 30 days before. Backtests bucket history on the grid these fall on."""
    window = rule.window_at(now)
    if rule.baseline is not None:
        shift = rule.baseline.shift
        return window, Window(window.start - shift, window.end - shift, window.tz)
    if rule.anomaly is not None:
        return window, *past_weeks(window, rule.anomaly.weeks)
    if rule.kind is Metric.NEW_VALUE:
        return window, *novelty.lookback(window)
    return (window,)


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


def _anomalies(
    rule: Rule, fetch: Fetch, query: Query, weeks_ago: Sequence[Window], rows: dict[Group, Summary]
) -> list[Finding]:
    """Each group against its own past weeks at the same time of the week."""
    assert rule.anomaly is not None and query.window is not None
    window = query.window
    weeks = [_rows(fetch(query.with_window(w))) for w in weeks_ago]
    out = []
    for group, summary in rows.items():
        past = [week[group] for week in weeks if group in week and week[group].requests]
        samples = [v for v in (measure(rule, s)[0] for s in past) if v is not None]
        out.append(_unusual(rule, group, summary, window, band(samples, rule.threshold)))
    return out


def _unusual(
    rule: Rule, group: Group, summary: Summary, window: Window, found: Band | None
) -> Finding:
    """Above the band with volume enough: breaching; back under its recovery line, or too
    little volume to call unusual (quiet hours): recovered."""
    assert rule.anomaly is not None
    value, reason = measure(rule, summary)
    finding = Finding(
        group=group,
        value=value,
        threshold=found.high if found is not None else 0.0,
        recovery_threshold=found.recovery(rule.recovery_ratio) if found is not None else 0.0,
        breaching=False,
        recovered=summary.requests == 0,
        no_data=True,
        samples=summary.requests,
        summary=summary,
        window=window,
        reason=reason or "fewer than 3 past weeks with traffic at this time of the week",
        band=found,
    )
    if value is None or found is None:
        return finding
    volume = {Metric.COST: summary.cost, Metric.ERRORS: summary.errors}.get(
        rule.metric, summary.images
    )
    quiet = volume < rule.anomaly.min_volume
    return replace(
        finding,
        breaching=not quiet and value > found.high,
        recovered=quiet or value < finding.recovery_threshold,
        no_data=False,
        reason="",
    )


def _novelties(
    fetch: Fetch, query: Query, lookback: Sequence[Window], rows: dict[Group, Summary]
) -> list[Finding]:
    """Spend on a value with no request in the 30 days before the window: new."""
    assert query.window is not None
    window = query.window
    seen = {g for piece in lookback for g, s in fetch(query.with_window(piece)) if s.requests}
    out = []
    for group, summary in rows.items():
        new = group is not None and group not in seen and summary.cost > 0
        out.append(
            Finding(
                group=group,
                value=summary.cost,
                threshold=0.0,
                recovery_threshold=0.0,
                breaching=new,
                recovered=not new,
                no_data=False,
                samples=summary.requests,
                summary=summary,
                window=window,
            )
        )
    return out


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
