"""The grammar of rule, budget, silence and digest commands: every form, and every mistake
answered with a message that names the token and what is allowed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import UsageError
from bot.grammar.actions import (
    Action,
    AddRule,
    AddSilence,
    Backtest,
    BudgetVerb,
    DigestVerb,
    ListRules,
    RuleVerb,
    SetBudget,
    SetDigest,
    Unsilence,
    Where,
    changes,
)
from bot.grammar.command import parse
from bot.grammar.configure import parse_action
from revenium import params as P
from rules.model import (
    DEFAULT_EVERY,
    DEFAULT_FOR_COUNT,
    DEFAULT_MIN_SAMPLES,
    DEFAULT_RECOVERY_RATIO,
    DEFAULT_REMINDER,
    DEFAULT_SETTLE,
    Budget,
    Digest,
    Metric,
    Period,
    Rule,
)

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HERE = Where(NOW, "UTC", "C0HERE", "U0ADMIN")
MODEL = P.param("model").name
ENV = P.param("environment").name


def act(text: str, where: Where = HERE) -> Action:
    """Parse as /imgmetrics would: the verb by bot.parse, the rest by rule_parse."""
    cmd = parse(text, now=where.now, tz=where.tz)
    return parse_action(cmd.verb, cmd.args, where)


def rule(text: str) -> Rule:
    found = act(text)
    assert isinstance(found, AddRule)
    return found.rule


def error(text: str) -> str:
    with pytest.raises(UsageError) as caught:
        act(text)
    return caught.value.message


# -- rule add -------------------------------------------------------------------------------


def test_a_cost_rule_has_every_named_default() -> None:
    r = rule("rule add runaway-spend when cost > 50 per 1h")
    assert (r.name, r.kind, r.op, r.threshold, r.per) == (
        "runaway-spend",
        Metric.COST,
        ">",
        50.0,
        timedelta(hours=1),
    )
    assert r.every == DEFAULT_EVERY and r.settle == DEFAULT_SETTLE
    assert r.for_count == DEFAULT_FOR_COUNT and r.recovery_ratio == DEFAULT_RECOVERY_RATIO
    assert r.reminder == DEFAULT_REMINDER and r.min_samples == DEFAULT_MIN_SAMPLES
    assert r.channel == "C0HERE" and r.created_by == "U0ADMIN" and r.tz == "UTC"
    assert r.by is None and r.baseline is None and r.query.window is None
    assert r.recovery_threshold == 45.0


@pytest.mark.parametrize(
    ("condition", "kind", "op", "threshold"),
    [
        ("cost > 50", Metric.COST, ">", 50.0),
        ("cost>$1,250.50", Metric.COST, ">", 1250.5),
        ("spend >= 10", Metric.COST, ">=", 10.0),
        ("error-rate > 5%", Metric.ERROR_RATE, ">", 0.05),
        ("error_rate >= 12.5%", Metric.ERROR_RATE, ">=", 0.125),
        ("errors > 10", Metric.ERRORS, ">", 10.0),
        ("images > 1000", Metric.IMAGES, ">", 1000.0),
        ("images < 10", Metric.IMAGES, "<", 10.0),
        ("cost-per-image > 0.1", Metric.COST_PER_IMAGE, ">", 0.1),
        ("cost-per-image <= $.05", Metric.COST_PER_IMAGE, "<=", 0.05),
        ("wasted > $20", Metric.WASTED_COST, ">", 20.0),
        ("shortfall > 3", Metric.SHORTFALL, ">", 3.0),
        ("cost ≥ 7", Metric.COST, ">=", 7.0),
        ("error rate > 5%", Metric.ERROR_RATE, ">", 0.05),  # spelled as people say them
        ("Error Rate>=5%", Metric.ERROR_RATE, ">=", 0.05),
        ("cost per image > 0.1", Metric.COST_PER_IMAGE, ">", 0.1),
        ("wasted cost > $20", Metric.WASTED_COST, ">", 20.0),
    ],
)
def test_threshold_conditions(condition: str, kind: Metric, op: str, threshold: float) -> None:
    r = rule(f"rule add x when {condition} per 1d")
    assert (r.kind, r.op, r.threshold, r.per) == (kind, op, threshold, timedelta(days=1))


def test_options_filters_grouping_zone_and_channel() -> None:
    r = rule(
        "rule add er when error-rate > 5% per 30m min 50 by model env:production "
        "every 10m for 3 recover below 4% settle 2m remind 1h max 5 tz Asia/Kolkata "
        "in <#C0FINOPS|finops>"
    )
    assert r.kind is Metric.ERROR_RATE and r.min_samples == 50 and r.by == MODEL
    assert r.query.filters == ((ENV, "production"),) and r.query.group_by is None
    assert r.every == timedelta(minutes=10) and r.for_count == 3
    assert r.recovery_threshold == pytest.approx(0.04)
    assert r.settle == timedelta(minutes=2) and r.reminder == timedelta(hours=1)
    assert (r.max_groups, r.tz, r.channel) == (5, "Asia/Kolkata", "C0FINOPS")


def test_option_spellings() -> None:
    assert rule("rule add x when cost > 5 per hour in #C0ABC").channel == "C0ABC"
    assert rule("rule add x when cost > 5 per 2 hours").per == timedelta(hours=2)
    assert rule("rule add x when cost > 5 per 1h for 10m").for_count == 2  # 10 min / every 5m
    assert rule("rule add x when cost > 5 per 1h for 4 checks").for_count == 4
    assert rule("rule add x when cost > 5 per 1h remind off").reminder == timedelta(0)
    assert rule("rule add x when cost > 5 per 1h settle 0m").settle == timedelta(0)
    assert rule('rule add x when cost > 5 per 1h every "*/10 * * * *"').every == "*/10 * * * *"
    assert rule("rule add X-Spend when cost > 5 per 1h").name == "x-spend"
    below = rule("rule add low when images < 100 per 1d recover above 120")
    assert below.recovery_threshold == 120.0


def test_filters_with_comparisons_stay_filters_after_the_condition() -> None:
    r = rule("rule add big when cost > 50 per 1h cost>0.5 model:dall-e-3")
    assert r.threshold == 50.0 and r.query.get(MODEL) == "dall-e-3"
    assert [(s.field, s.op, s.value) for s in r.query.strict] == [("totalCost", ">", 0.5)]


@pytest.mark.parametrize(
    ("text", "metric", "direction", "shift", "threshold", "per"),
    [
        ("cost rises 50% vs last week", Metric.COST, "rise", 7, 50.0, timedelta(days=1)),
        (
            "images falls by 30% vs yesterday per 6h",
            Metric.IMAGES,
            "fall",
            1,
            30.0,
            timedelta(hours=6),
        ),
        ("errors rise 100 vs 2d ago per 1h", Metric.ERRORS, "rise", 2, 100.0, timedelta(hours=1)),
        (
            "error-rate drops 20% versus 2 days ago per 1d",
            Metric.ERROR_RATE,
            "fall",
            2,
            20.0,
            timedelta(days=1),
        ),
    ],
)
def test_change_conditions(
    text: str, metric: Metric, direction: str, shift: int, threshold: float, per: timedelta
) -> None:
    r = rule(f"rule add ch when {text}")
    assert r.kind is Metric.CHANGE and r.baseline is not None
    assert (r.baseline.metric, r.baseline.direction) == (metric, direction)
    assert r.baseline.shift == timedelta(days=shift)
    assert (r.threshold, r.op, r.per) == (threshold, ">=", per)


def test_a_spelled_metric_in_a_change_condition_and_before_filters() -> None:
    r = rule("rule add ch when error rate rises 50% vs last week model:dall-e-3")
    assert r.baseline is not None and r.baseline.metric is Metric.ERROR_RATE
    assert r.query.filters == ((MODEL, "dall-e-3"),)


def test_change_minimum_volume() -> None:
    r = rule("rule add ch when cost rises 50% vs last week min-volume 100")
    assert r.baseline is not None and r.baseline.min_requests == 100


# -- rule sub-commands, silences ----------------------------------------------------------


def test_rule_verbs() -> None:
    assert act("rule list") == ListRules()
    assert act("rule ls") == ListRules()
    for verb in ("show", "delete", "pause", "resume", "test"):
        assert act(f"rule {verb} runaway") == RuleVerb(verb, "runaway")
    assert act("rule rm runaway") == RuleVerb("delete", "runaway")
    found = act("rule backtest runaway")
    assert isinstance(found, Backtest) and found.window.end == NOW
    assert found.window.end - found.window.start == timedelta(days=14)
    longer = act("rule backtest runaway last 30d")
    assert isinstance(longer, Backtest)
    assert longer.window.end - longer.window.start == timedelta(days=30)


def test_silences() -> None:
    assert act("silence runaway for 2h") == AddSilence("runaway", None, timedelta(hours=2))
    assert act("silence runaway dall-e-3 for 30m reason deploy in progress") == AddSilence(
        "runaway", "dall-e-3", timedelta(minutes=30), "deploy in progress"
    )
    assert act("unsilence runaway") == Unsilence("runaway", None)
    assert act("unsilence runaway dall-e-3") == Unsilence("runaway", "dall-e-3")


# -- budgets and digests ------------------------------------------------------------------


def test_budgets() -> None:
    found = act("budget images-monthly 20000 per month tz Europe/Berlin in #C0FINOPS")
    assert isinstance(found, SetBudget)
    assert found.budget == Budget(
        "images-monthly",
        20000.0,
        Period.MONTH,
        tz="Europe/Berlin",
        channel="C0FINOPS",
        created_by="U0ADMIN",
    )
    weekly = act("budget b $1,000 weekly at 50, 90 env:production")
    assert isinstance(weekly, SetBudget)
    assert weekly.budget.thresholds == (50, 90) and weekly.budget.period is Period.WEEK
    assert weekly.budget.query.filters == ((ENV, "production"),)
    daily = act("budget d 20 per day at 80%,100%")
    assert isinstance(daily, SetBudget) and daily.budget.thresholds == (80, 100)
    assert act("budget add d 20 per day") == act("budget d 20 per day")  # as `rule add`
    named_add = act("budget add 20 per day")  # a budget may still be called `add`
    assert isinstance(named_add, SetBudget) and named_add.budget.name == "add"
    assert act("budget list") == ListRules()
    assert act("budget delete b") == BudgetVerb("delete", "b")
    assert act("budget show b") == BudgetVerb("show", "b")


def test_digests() -> None:
    found = act("digest daily at 09:00 tz America/New_York in <#C0FINOPS|finops>")
    assert isinstance(found, SetDigest)
    assert found.digest == Digest(
        "C0FINOPS", time(9), NOW, "America/New_York", created_by="U0ADMIN"
    )
    weekly = act("digest weekly on Monday at 9:30pm skip-empty model:dall-e-3")
    assert isinstance(weekly, SetDigest)
    d = weekly.digest
    assert (d.weekday, d.at, d.skip_empty, d.channel) == (0, time(21, 30), True, "C0HERE")
    assert d.query.filters == ((MODEL, "dall-e-3"),)
    assert act("digest off") == DigestVerb("off", "C0HERE")
    assert act("digest off in #C0OTHER") == DigestVerb("off", "C0OTHER")
    assert act("digest now") == DigestVerb("now", "C0HERE")
    assert act("digest status") == DigestVerb("status", "C0HERE")


def test_which_actions_change_things() -> None:
    changing = [
        "rule add x when cost > 1 per 1h",
        "rule delete x",
        "rule pause x",
        "rule resume x",
        "budget x 5 per day",
        "budget delete x",
        "silence x for 1h",
        "unsilence x",
        "digest daily at 09:00",
        "digest off",
    ]
    reading = [
        "rule list",
        "rule show x",
        "rule test x",
        "rule backtest x",
        "budget show x",
        "digest now",
        "digest status",
    ]
    assert all(changes(act(t)) for t in changing)
    assert not any(changes(act(t)) for t in reading)


# -- mistakes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("rule", "`rule` needs one of"),
        ("rule ad x", "Unknown `rule ad` — did you mean `add`?"),
        ("rule add", "needs a rule name"),
        ("rule add Bad!Name when cost > 1 per 1h", "`Bad!Name` cannot be a rule name"),
        ("rule add x cost > 1 per 1h", "needs `when`"),
        ("rule add x when", "After `when`:"),
        ("rule add x when cost 50 per 1h", "`cost 50`: compare with `>`"),
        ("rule add x when cots > 5 per 1h", "did you mean `cost`?"),
        ("rule add x when error-rate > 5 per 1h", "`error-rate > 5` is not a percentage"),
        ("rule add x when error-rate > 500% per 1h", "is not a percentage"),
        ("rule add x when errors > 2.5 per 1h", "must be a whole number"),
        ("rule add x when cost > 5", "needs the span to measure over"),
        ("rule add x when cost > 5 per 1h last 7d", "not over a window like `last 7d`"),
        ("rule add x when cost > 5 per 1h sort:totalCost", "`sort:` has no meaning"),
        ("rule add x when cost > 5 per 1h in #finops", "`#finops` is not a channel"),
        ("rule add x when cost > 5 per 1h frob", "`frob` is not understood in a rule"),
        ("rule add x when cost > 5 per 1h evrey 5m", "did you mean `every`?"),
        (
            "rule add x when cost > 5 per 1h min 4",
            "applies to error-rate rules (minimum requests) and anomaly rules",
        ),
        ("rule add x when cost > 5 per 1h min-volume 4", "applies to change rules only"),
        ("rule add x when cost > 50 per 1h recover below 60", "must lie between"),
        ("rule add x when cost > 50 per 1h recover above 40", "write `recover below"),
        ("rule add x when cost > 5 per 1h every 30s", "`every 30s`: must be from 1m to 7d"),
        ("rule add x when cost > 5 per 90d", "`per 90d`: must be from 1m to 31d"),
        ("rule add x when cost > 5 per 1h per 2h", "`per` is given twice"),
        ('rule add x when cost > 5 per 1h every "not cron"', "is not a cron expression"),
        ('rule add x when cost > 5 per 1h every "*/5 * * * *" for 10m', "as a number"),
        ("rule add x when cost rises 50% per 1h", "say what to compare with"),
        ("rule add x when cost rises 50% vs the moon", "say what to compare with"),
        ("rule add x when cost > 5 per 1h errors > 10", "is not a filter"),
        ("rule backtest x last 60d", "at most 31 days"),
        ("rule backtest x model:dall-e-3", "takes a window only"),
        ("rule show x y", "Unexpected `y`"),
        ("budget x", "needs an amount and a period"),
        ("budget x 100", "needs `per day`, `per week` or `per month`"),
        ("budget x 100 per year", "(not `per year`)"),
        ("budget x lots per day", "`lots` is not an amount"),
        ("budget x 100 per day at 0", "thresholds are percentages"),
        ("budget x 100 per day last 7d", "not a window"),
        ("budget x 100 per day by model", "cannot be grouped"),
        ("silence x", "needs a duration"),
        ("silence x for ever", "expected a span"),
        ("silence x for 2h blah", "Unexpected `blah`"),
        ("silence x for 40d", "at most 30 days"),
        ("digest", "`digest` needs one of"),
        ("digest dialy at 09:00", "did you mean `daily`?"),
        ("digest daily", "needs a local time"),
        ("digest daily at 25:00", "`at 25:00`: expected a local time"),
        ("digest daily at 9", "expected a local time"),
        ("digest weekly at 09:00", "needs a weekday"),
        ("digest weekly on fri at 09:00 on mon", "`on` is given twice"),
        ("digest weekly on fryday at 09:00", "did you mean `friday`?"),
        ("digest daily on mon at 09:00", "drop `on …`"),
        ("digest daily at 09:00 yesterday", "drop the window"),
        ("digest status in #C0X", "Unexpected"),
        ("digest off please", "Unexpected `please`"),
    ],
)
def test_mistakes_name_the_token(text: str, says: str) -> None:
    assert says in error(text)
