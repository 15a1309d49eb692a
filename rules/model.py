"""What an admin configures: rules, budgets and digests as frozen dataclasses.

Defaults are named constants (the rule card shows them); each class checks its own
invariants and round-trips through plain JSON-able dicts for storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revenium import params as P
from revenium.query import Query, Strict, Value, Window

DEFAULT_EVERY = timedelta(minutes=5)
DEFAULT_SETTLE = timedelta(minutes=5)  # metering lag: the window ends this long before "now"
DEFAULT_FOR_COUNT = 2
DEFAULT_RECOVERY_RATIO = 0.9
DEFAULT_REMINDER = timedelta(hours=4)
DEFAULT_MIN_SAMPLES = 20
DEFAULT_MAX_GROUPS = 10
DEFAULT_BASELINE_SHIFT = timedelta(days=7)
DEFAULT_BUDGET_THRESHOLDS = (50, 80, 100)
DEFAULT_MIN_ELAPSED_FRACTION = 0.2
DEFAULT_SENSITIVITY = 3.0  # anomaly rules: how many robust deviations above the median
DEFAULT_ANOMALY_WEEKS = 5  # the same hour of the week, this many weeks back
NOVELTY_LOOKBACK = timedelta(days=30)  # a value unseen this long is new again

T = TypeVar("T")
Op = Literal[">", ">=", "<", "<="]
Severity = Literal["critical", "warning"]
Every = timedelta | str  # an interval, or a cron expression read in the rule's zone


class Metric(StrEnum):
    """What a rule measures; error_rate is a fraction (0.05 = 5 %), change a percentage."""

    COST = "cost"
    ERRORS = "errors"
    IMAGES = "images"
    WASTED_COST = "wasted_cost"  # cost of errored requests
    SHORTFALL = "shortfall"  # images requested but not delivered
    ERROR_RATE = "error_rate"
    COST_PER_IMAGE = "cost_per_image"
    CHANGE = "change"
    ANOMALY = "anomaly"  # against the same hour of the week in past weeks (rules/anomaly.py)
    NEW_VALUE = "new_value"  # spend on a value of `by` unseen for 30 days (rules/novelty.py)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # from Monday
    MONTH = "month"


def check_tz(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin"
        ) from None
    return name


@dataclass(frozen=True)
class Baseline:
    """`rises 50% vs last week`: the same window shifted back, with a minimum-volume guard."""

    metric: Metric = Metric.COST
    shift: timedelta = DEFAULT_BASELINE_SHIFT
    direction: Literal["rise", "fall"] = "rise"
    min_requests: int = DEFAULT_MIN_SAMPLES  # fewer baseline requests: not enough to compare

    def __post_init__(self) -> None:
        if self.metric is Metric.CHANGE:
            raise ValueError("a change rule compares a plain metric, not another change")
        if self.shift <= timedelta(0):
            raise ValueError("the baseline shift must be positive")


# What an anomaly rule may watch, and its minimum volume by default: dollars spent, images,
# errors, and for cost per image the images it is taken over (quiet hours do not fire).
ANOMALY_MIN_VOLUME = {
    Metric.COST: 5.0,
    Metric.IMAGES: 20.0,
    Metric.ERRORS: 5.0,
    Metric.COST_PER_IMAGE: 20.0,
}


@dataclass(frozen=True)
class Anomaly:
    """`cost anomaly per 1h`: the window against the same window of the week in past weeks
    (the rule's threshold is the sensitivity: robust deviations above the median)."""

    metric: Metric = Metric.COST
    min_volume: float = ANOMALY_MIN_VOLUME[Metric.COST]
    weeks: int = DEFAULT_ANOMALY_WEEKS

    def __post_init__(self) -> None:
        if self.metric not in ANOMALY_MIN_VOLUME:
            raise ValueError("anomaly rules watch cost, images, errors or cost-per-image")
        if self.min_volume < 0 or not 3 <= self.weeks <= 12:
            raise ValueError("an anomaly needs a minimum volume ≥ 0 and 3 to 12 weeks of history")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Metric
    threshold: float
    per: timedelta
    query: Query = field(default_factory=Query)  # filters only; the window is set per run
    channel: str = ""
    by: str | None = None  # API name of a dimension: one alert instance per value
    op: Op = ">"
    every: Every = DEFAULT_EVERY
    settle: timedelta = DEFAULT_SETTLE
    for_count: int = DEFAULT_FOR_COUNT
    recovery_ratio: float = DEFAULT_RECOVERY_RATIO
    reminder: timedelta = DEFAULT_REMINDER  # zero: no reminders
    min_samples: int = DEFAULT_MIN_SAMPLES  # error-rate rules: fewer requests is "not enough data"
    max_groups: int = DEFAULT_MAX_GROUPS
    paused: bool = False
    baseline: Baseline | None = None
    tz: str = "UTC"
    created_by: str | None = None
    anomaly: Anomaly | None = None
    severity: Severity = "warning"  # critical: posts in quiet hours, holds back warnings
    inhibits: tuple[str, ...] = ()  # rules whose alerts this rule's alerts hold back

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a rule needs a name")
        if self.per <= timedelta(0) or self.settle < timedelta(0):
            raise ValueError("`per` must be positive and the settle delay not negative")
        if isinstance(self.every, timedelta) and self.every < timedelta(minutes=1):
            raise ValueError("a rule is evaluated at most once a minute")
        if self.for_count < 1 or self.max_groups < 1 or self.min_samples < 0:
            raise ValueError("for_count and max_groups must be at least 1")
        if not 0 < self.recovery_ratio <= 1:
            raise ValueError("the recovery ratio must be in (0, 1]")
        if self.threshold < 0:
            raise ValueError("a threshold cannot be negative")
        if self.by is not None and P.param(self.by).role is not P.Role.FILTER:
            raise ValueError(f"cannot group a rule by {self.by}")
        self._check_kind()
        if self.severity not in ("critical", "warning"):
            raise ValueError("severity is critical or warning")
        if self.name in self.inhibits:
            raise ValueError("a rule cannot hold back its own alerts")
        object.__setattr__(self, "inhibits", tuple(sorted(set(self.inhibits))))
        check_tz(self.tz)

    def _check_kind(self) -> None:
        """Change, anomaly and new-value rules: what each needs besides a threshold."""
        if (self.kind is Metric.CHANGE) != (self.baseline is not None):
            raise ValueError("change rules, and only they, need a baseline")
        if self.kind is Metric.CHANGE and self.below:
            raise ValueError("a change rule says rise or fall, with `>` or `>=`")
        if (self.kind is Metric.ANOMALY) != (self.anomaly is not None):
            raise ValueError("anomaly rules, and only they, need an anomaly baseline")
        if self.kind is Metric.NEW_VALUE and (self.by is None or self.below):
            raise ValueError("a new-value rule names the dimension it watches")

    @property
    def metric(self) -> Metric:
        """The summary figure measured: the rule's kind, or what a change or anomaly rule
        compares (a new-value rule measures spend)."""
        if self.baseline is not None:
            return self.baseline.metric
        if self.anomaly is not None:
            return self.anomaly.metric
        return Metric.COST if self.kind is Metric.NEW_VALUE else self.kind

    @property
    def unit(self) -> Metric:
        """The metric whose unit a finding's value is in: a change rule's is a percentage."""
        return self.kind if self.kind is Metric.CHANGE else self.metric

    @property
    def lookback(self) -> timedelta:
        """How much history before its window an evaluation reads: the baseline's shift,
        the anomaly's weeks, or the new-value rule's 30 days (and a day to align them)."""
        if self.baseline is not None:
            return self.baseline.shift
        if self.anomaly is not None:
            return timedelta(weeks=self.anomaly.weeks) + timedelta(hours=2)
        if self.kind is Metric.NEW_VALUE:
            return NOVELTY_LOOKBACK + timedelta(days=1)
        return timedelta(0)

    @property
    def one_shot(self) -> bool:
        """A new-value alert says its news once: it is never resolved in the channel."""
        return self.kind is Metric.NEW_VALUE

    @property
    def below(self) -> bool:
        return self.op in ("<", "<=")

    def keeps_instances(self, edited: Rule) -> bool:
        """Whether `edited`'s alert instances mean what this rule's do, so an edit may keep
        their states: a new threshold or `for` does; new groups, filters or channel do not."""
        same = ("kind", "by", "query", "channel", "baseline", "anomaly")
        return self.below == edited.below and all(
            getattr(self, name) == getattr(edited, name) for name in same
        )

    @cached_property  # read twice per group per evaluation: backtests evaluate thousands
    def recovery_threshold(self) -> float:
        """Hysteresis: 90 % of the trigger; for `below` rules the same band above it."""
        factor = 2 - self.recovery_ratio if self.below else self.recovery_ratio
        return float(f"{self.threshold * factor:.12g}")  # 45.0, not 45.000000000000004

    def window_at(self, now: datetime) -> Window:
        end = now - self.settle
        return Window(end - self.per, end, self.tz, f"last {span(self.per)}")

    def query_at(self, now: datetime) -> Query:
        return replace(self.query, window=self.window_at(now), group_by=self.by)

    def group_query(self, now: datetime, group: Value | None) -> Query:
        """The records behind one alert: the rule's filters and window, and its group."""
        query = replace(self.query, window=self.window_at(now), group_by=None)
        if self.by is not None and group is not None:
            query = query.with_filter(self.by, group)
        return query

    def to_dict(self) -> dict[str, Any]:
        out = _plain(self)
        out["query"] = query_to_dict(self.query)
        out["baseline"] = None if self.baseline is None else _plain(self.baseline)
        out["anomaly"] = None if self.anomaly is None else _plain(self.anomaly)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        base, odd = data.get("baseline"), data.get("anomaly")
        return _build(
            cls,
            data,
            kind=Metric(data["kind"]),
            query=query_from_dict(data.get("query") or {}),
            baseline=None
            if base is None
            else _build(Baseline, base, metric=Metric(base["metric"])),
            anomaly=None if odd is None else _build(Anomaly, odd, metric=Metric(odd["metric"])),
            inhibits=tuple(data.get("inhibits") or ()),
        )


@dataclass(frozen=True)
class Budget:
    name: str
    amount: float
    period: Period
    tz: str = "UTC"
    thresholds: tuple[int, ...] = DEFAULT_BUDGET_THRESHOLDS  # percentages of amount
    query: Query = field(default_factory=Query)
    channel: str = ""
    forecast: bool = True
    min_elapsed_fraction: float = DEFAULT_MIN_ELAPSED_FRACTION  # no forecast before this
    created_by: str | None = None

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise ValueError("a budget amount must be positive")
        if not self.thresholds or any(t <= 0 for t in self.thresholds):
            raise ValueError("budget thresholds are positive percentages, e.g. 50,80,100")
        if not 0 <= self.min_elapsed_fraction < 1:
            raise ValueError("the forecast's minimum elapsed fraction must be in [0, 1)")
        object.__setattr__(self, "thresholds", tuple(sorted(set(self.thresholds))))
        check_tz(self.tz)

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self), "query": query_to_dict(self.query)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Budget:
        return _build(
            cls,
            data,
            period=Period(data["period"]),
            thresholds=tuple(data["thresholds"]),
            query=query_from_dict(data.get("query") or {}),
        )


@dataclass(frozen=True)
class Digest:
    """A daily (or, with `weekday`, weekly) post at a local time, one per channel."""

    channel: str
    at: time
    created_at: datetime
    tz: str = "UTC"
    weekday: int | None = None  # 0 = Monday
    query: Query = field(default_factory=Query)
    skip_empty: bool = False
    created_by: str | None = None

    def __post_init__(self) -> None:
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError("a weekly digest's weekday is 0 (Monday) to 6 (Sunday)")
        if self.created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        check_tz(self.tz)

    def to_dict(self) -> dict[str, Any]:
        return {**_plain(self), "query": query_to_dict(self.query)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        return _build(cls, data, query=query_from_dict(data.get("query") or {}))


def span(delta: timedelta) -> str:
    """`1h`, `30m`, `7d`, `90s`: the largest unit that divides the span."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def query_to_dict(query: Query) -> dict[str, Any]:
    if query.window is not None:
        raise ValueError("a stored query holds filters only; windows are set when it runs")
    return {
        "filters": [list(f) for f in query.filters],
        "group_by": query.group_by,
        "sort": [list(s) for s in query.sort],
        "strict": [[s.field, s.op, s.value] for s in query.strict],
    }


def query_from_dict(data: dict[str, Any]) -> Query:
    return Query(
        filters=tuple((name, value) for name, value in data.get("filters", ())),
        group_by=data.get("group_by"),
        sort=tuple((prop, order) for prop, order in data.get("sort", ())),
        strict=tuple(Strict(f, op, value) for f, op, value in data.get("strict", ())),
    )


def _plain(obj: Any) -> dict[str, Any]:
    """Dataclass fields as JSON-able values: timedeltas in seconds, times in ISO 8601."""
    out: dict[str, Any] = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if isinstance(value, timedelta):
            out[name] = {"seconds": value.total_seconds()}
        elif isinstance(value, datetime | time):
            out[name] = {"iso": value.isoformat()}
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out


def _unplain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"seconds"}:
        return timedelta(seconds=value["seconds"])
    if isinstance(value, dict) and set(value) == {"iso"}:
        text = value["iso"]
        return datetime.fromisoformat(text) if "T" in text else time.fromisoformat(text)
    return value


def _build(cls: type[T], data: dict[str, Any], **typed: Any) -> T:
    names: dict[str, Any] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    values = {k: _unplain(v) for k, v in data.items() if k in names}
    return cls(**{**values, **typed})
