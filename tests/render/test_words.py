"""How figures read: singular and plural, percentages of change, the console's view of
code spans, and the help's bounds written as a user would type them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.render import alert, fmt
from bot.render.help import filter_line
from bot.render.rule_card import backtest_summary
from bot.render.terminal import mrkdwn_to_text
from revenium import params as P
from revenium.query import Window
from rules.model import Baseline, Metric, Rule
from rules.notification import NoteKind, Notification
from rules.replay import BacktestResult, Episode


def test_one_image_two_images() -> None:
    assert (fmt.many(1, "image"), fmt.many(0, "image"), fmt.many(1204, "request")) == (
        "1 image",
        "0 images",
        "1,204 requests",
    )


def test_a_change_in_percent_reads_to_one_decimal_at_most() -> None:
    assert (fmt.share(58.730212), fmt.share(50.0), fmt.share(12.5)) == ("58.7 %", "50 %", "12.5 %")


def test_spans_in_words() -> None:
    assert fmt.spoken(timedelta(hours=1)) == "hour"
    assert fmt.spoken(timedelta(days=2)) == "2 days"
    assert fmt.short(timedelta(minutes=5)) == "5 min"


def test_the_console_shows_code_spans_as_typed() -> None:
    text = "*Rule `runaway`* — Checked on cron `*/10 * * * *`, _quietly_"
    assert mrkdwn_to_text(text) == "Rule `runaway` — Checked on cron `*/10 * * * *`, quietly"


def test_help_writes_bounds_as_a_user_types_them() -> None:
    assert filter_line(P.param("totalCostMax")).endswith("$0 to $999,999.99")
    assert filter_line(P.param("requestDurationMin")).endswith("0 ms to 300,000 ms")
    assert filter_line(P.param("actualImageCountMin")).endswith("0 to 100")


def test_a_change_rule_reads_rounded_against_the_day_before() -> None:
    rule = Rule(
        "jump",
        Metric.CHANGE,
        50.0,
        timedelta(days=1),
        channel="C1",
        baseline=Baseline(Metric.COST, timedelta(days=1)),
    )
    at = datetime(2026, 11, 2, 12, tzinfo=UTC)
    fired = Notification(
        NoteKind.FIRED, "jump", at.isoformat(), at, "C1", value=58.730212, threshold=50.0
    )
    assert "rose *+59 %* vs the day before" in alert.fired(fired, rule).blocks[0]["text"]["text"]
    found = BacktestResult(
        Window(at - timedelta(days=14), at, "UTC"),
        [(at, fired)],
        [Episode(None, at, 58.730212, 58.730212, None)],
    )
    assert "peak 58.7 %" in backtest_summary(rule, found)
    hourly = replace(rule, baseline=Baseline(Metric.COST, timedelta(hours=1)))
    assert "vs the hour before" in alert.fired(fired, hourly).blocks[0]["text"]["text"]
