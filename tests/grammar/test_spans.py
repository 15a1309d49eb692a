"""The one reader of spans: windows, rule options, silences and --since read alike, and
refuse alike a span of zero or less."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.errors import UsageError
from bot.grammar.actions import AddRule, Where
from bot.grammar.command import RAW_VERBS, parse
from bot.grammar.configure import parse_action
from bot.grammar.spans import parse_span, read


@pytest.mark.parametrize(
    ("words", "amount", "unit", "used"),
    [
        (["15m"], 15, "minute", 1),
        (["2", "hours"], 2, "hour", 2),
        (["hour"], 1, "hour", 1),
        (["7d", "by"], 7, "day", 1),
        (["4w"], 4, "week", 1),
        (["30s"], 30, "second", 1),
    ],
)
def test_spans_as_people_type_them(words: list[str], amount: int, unit: str, used: int) -> None:
    span = read(words)
    assert span is not None and (span.amount, span.unit, span.used) == (amount, unit, used)


def test_windows_take_no_seconds_and_nonsense_is_no_span() -> None:
    assert read(["30s"], seconds=False) is None
    assert read(["7x"]) is None and read(["h"]) is None and read([]) is None


@pytest.mark.parametrize(
    ("text", "delta"), [("30d", timedelta(days=30)), ("12 h", timedelta(hours=12))]
)
def test_a_whole_text_span(text: str, delta: timedelta) -> None:
    assert parse_span(text) == delta


@pytest.mark.parametrize("text", ["", "0d", "30d extra", "soon", "-5d"])
def test_a_text_that_is_not_one_span_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"use e\.g\. 30d, 12h or 2w"):
        parse_span(text)


NOW = datetime(2026, 11, 20, tzinfo=UTC)
WHERE = Where(NOW, "UTC", "C1", "U1")
# every place a span is typed, with `{}` where the span goes
SPAN_PLACES = (
    "summary last {}",
    "rule backtest runaway last {}",
    "rule add x when cost > 5 per {}",
    "rule add x when cost > 5 per 1h every {}",
    "rule add x when cost > 5 per 1h for {}",
    "rule add x when cost > 5 per 1h settle {}",
    "rule add x when cost > 5 per 1h remind {}",
    "rule add x when cost > 5 per 1h remind every {}",
    "silence runaway for {}",
)


def parse_all(text: str) -> object:
    """The command, and for the verbs that configure alerts, its action."""
    cmd = parse(text, now=NOW, tz="UTC")
    return parse_action(cmd.verb, cmd.args, WHERE) if cmd.verb in RAW_VERBS else cmd


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("summary last -5d", "`last -5d`: a span must be more than zero, e.g. `last 5d`."),
        ("summary last 0d", "`last 0d`: a span must be more than zero, e.g. `last 1d`."),
        ("summary last -3 days", "`last -3 days`: a span must be more than zero, e.g. `last 3d`."),
        ("rule add x when cost > 5 per -1h", "`per -1h`: a span must be more than zero"),
        ("rule add x when cost > 5 per 1h for -2h", "e.g. `for 2h`."),
        ("silence runaway for 0h", "`for 0h`: a span must be more than zero, e.g. `for 1h`."),
        ("rule add x when cost > 5 per 1h for -3", "`-3`: `for` must be a whole number from 1"),
        ("top agent -5", "`top -5`: top takes between 1 and 50 rows."),
    ],
)
def test_negative_and_zero_spans_are_refused_with_the_form_that_works(
    text: str, message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        parse_all(text)
    assert message in refused.value.message


@settings(max_examples=60, deadline=None)
@given(
    place=st.sampled_from(SPAN_PLACES),
    amount=st.integers(-400, 0),
    unit=st.sampled_from(["m", "h", "d", " minutes", " hours", " days"]),
)
def test_a_span_of_zero_or_less_is_refused_and_the_suggestion_parses(
    place: str, amount: int, unit: str
) -> None:
    """Wherever it is typed, `-N` is never read as `N`, and the fix offered is understood."""
    assume(amount < 0 or "settle" not in place)  # `settle 0m`: no delay is a setting
    text = place.format(f"{amount}{unit}")
    with pytest.raises(UsageError) as refused:
        parse_all(text)
    message = refused.value.message
    assert "must be more than zero" in message, message
    fixed = message.rsplit("e.g. `", 1)[1].removesuffix("`.")
    assert not fixed.split()[-1].startswith(("-", "0"))
    try:
        parse_all(place.replace("{}", fixed.rsplit(" ", 1)[1]))
    except UsageError as error:  # a fixed span may still be too long for its place
        assert "must be more than zero" not in error.message


def test_for_takes_a_span_spelled_out_as_well_as_a_count() -> None:
    spelled = parse_all("rule add x when cost > 5 per 1h for 15 minutes")
    counted = parse_all("rule add x when cost > 5 per 1h for 3 checks")
    assert isinstance(spelled, AddRule) and isinstance(counted, AddRule)
    assert spelled.rule.for_count == counted.rule.for_count == 3  # every 5m: 3 in 15 minutes
