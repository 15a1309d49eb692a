"""The words issue 16 added: `why … vs …`, anomaly and new-value rules, `severity`,
`inhibits`, and `quiet`; each form, and each mistake answered with what is allowed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.errors import UsageError
from bot.grammar.actions import ListQuiet, QuietOff, SetQuiet, changes
from bot.grammar.command import parse
from rules.model import Anomaly, Metric
from tests.grammar.test_rule_parse import HERE, NOW, act, rule

D = timedelta(days=1)


def test_why_compares_with_the_window_before_by_default() -> None:
    cmd = parse("why last 7d env:production", now=NOW)
    assert cmd.verb == "why" and cmd.query.get("environment") == "production"
    assert cmd.query.window is not None and cmd.versus is not None
    assert (cmd.versus.start, cmd.versus.end) == (NOW - 14 * D, NOW - 7 * D)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("why last 7d vs last week", NOW - 14 * D, NOW - 7 * D),
        ("why today vs yesterday", datetime(2026, 11, 1, tzinfo=UTC), NOW - D),
        (
            "why yesterday vs last week",
            datetime(2026, 10, 25, tzinfo=UTC),
            datetime(2026, 10, 26, tzinfo=UTC),
        ),
        (
            "why this month vs last month",
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 10, 2, 12, tzinfo=UTC),
        ),
        (
            "why vs 2026-10-01 to 2026-10-07 last 7d",
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 10, 8, tzinfo=UTC),
        ),
        (
            "why last 7d vs from 2026-10-01 to 2026-10-07 model:dall-e-3",
            datetime(2026, 10, 1, tzinfo=UTC),
            datetime(2026, 10, 8, tzinfo=UTC),
        ),
    ],
)
def test_why_vs_forms(text: str, start: datetime, end: datetime) -> None:
    cmd = parse(text, now=NOW)
    assert cmd.versus is not None and (cmd.versus.start, cmd.versus.end) == (start, end)


def test_vs_last_week_keeps_the_local_time_across_dst() -> None:
    # Nov 2 in New York is EST; a week before was EDT: 00:00 local was 04:00 UTC, not 05:00.
    cmd = parse("why today vs last week tz America/New_York", now=NOW)
    assert cmd.versus is not None
    assert cmd.versus.start == datetime(2026, 10, 26, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("why last 7d vs", "compare with `vs last week`"),
        ("why last 7d vs the moon", "compare with `vs last week`"),
        ("why last 7d vs last week vs yesterday", "keep one `vs`"),
        ("summary vs yesterday", "didn't understand `vs`"),
    ],
)
def test_why_mistakes(text: str, says: str) -> None:
    with pytest.raises(UsageError) as found:
        parse(text, now=NOW)
    assert says in str(found.value)


def test_anomaly_rules() -> None:
    plain = rule("rule add odd when cost anomaly per 1h")
    assert (plain.kind, plain.threshold, plain.anomaly) == (Metric.ANOMALY, 3.0, Anomaly())
    tuned = rule("rule add odd when images anomaly by model sensitivity 2.5 min 50")
    assert tuned.anomaly == Anomaly(Metric.IMAGES, 50.0) and tuned.threshold == 2.5
    assert tuned.by == "model" and tuned.per == timedelta(hours=1)
    money = rule("rule add odd when cost per image anomaly min 30")
    assert money.anomaly == Anomaly(Metric.COST_PER_IMAGE, 30.0)
    assert rule("rule add odd when cost anomaly min $12.50").anomaly == Anomaly(min_volume=12.5)
    assert rule("rule add odd when errors anomaly").anomaly == Anomaly(Metric.ERRORS, 5.0)


def test_new_value_rules_are_grouped_once_and_quiet() -> None:
    new = rule("rule add fresh when new model env:production")
    assert (new.kind, new.by, new.for_count, new.reminder) == (
        Metric.NEW_VALUE,
        "model",
        1,
        timedelta(0),
    )
    assert new.query.filters == (("environment", "production"),) and new.one_shot
    assert rule("rule add fresh when new organization").by == "organizationName"
    assert rule("rule add fresh when new providers").by == "provider"


def test_severity_and_inhibits_on_any_rule() -> None:
    found = rule("rule add p when cost > 100 per 1h by provider severity critical inhibits a, b")
    assert (found.severity, found.inhibits, found.by) == ("critical", ("a", "b"), "provider")
    listed = rule("rule add p when cost > 100 per 1h inhibits b a every 10m")
    assert listed.inhibits == ("a", "b") and listed.every == timedelta(minutes=10)
    assert rule("rule add p when cost > 1 per 1h").severity == "warning"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("rule add x when error-rate anomaly", "anomaly rules watch `cost`"),
        ("rule add x when new colour", "`new colour`: say which values to watch"),
        ("rule add x when new model by provider", "drop `by`"),
        ("rule add x when cost > 5 per 1h sensitivity 2", "applies to anomaly rules only"),
        ("rule add x when cost anomaly sensitivity 0.5", "from 1 to 10"),
        ("rule add x when cost anomaly min lots", "is not an amount"),
        ("rule add x when cost anomaly recover below 3", "applies to threshold and change"),
        ("rule add x when cost > 1 per 1h severity high", "not a severity"),
        ("rule add x when cost > 1 per 1h inhibits", "needs the names of the rules"),
        ("rule add x when cost > 1 per 1h inhibits x", "cannot hold back its own"),
    ],
)
def test_rule_word_mistakes(text: str, says: str) -> None:
    with pytest.raises(UsageError) as found:
        act(text)
    assert says in str(found.value)


def test_quiet_hours() -> None:
    found = act("quiet 22:00-07:00 tz Europe/Berlin in #C0FINOPS")
    assert isinstance(found, SetQuiet) and changes(found)
    hours = found.hours
    assert (hours.channel, hours.start, hours.end, hours.tz) == (
        "C0FINOPS",
        time(22),
        time(7),
        "Europe/Berlin",
    )
    spaced = act("quiet 10pm to 7:30am")
    assert isinstance(spaced, SetQuiet) and spaced.hours.channel == HERE.channel
    assert (spaced.hours.start, spaced.hours.end, spaced.hours.tz) == (time(22), time(7, 30), "UTC")
    off = act("quiet off in <#C0FINOPS|finops>")
    assert off == QuietOff("C0FINOPS") and changes(off)
    assert act("quiet") == ListQuiet() and not changes(ListQuiet())


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("quiet 22:00", "from one local time to another"),
        ("quiet 25:00-07:00", "from one local time to another"),
        ("quiet 22:00-22:00", "start and end at different times"),
        ("quiet off now", "Unexpected `now`"),
        ("quiet 22:00-07:00 tz Mars/Base", "Unknown time zone"),
    ],
)
def test_quiet_mistakes(text: str, says: str) -> None:
    with pytest.raises(UsageError) as found:
        act(text)
    assert says in str(found.value)
