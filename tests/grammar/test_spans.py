"""The one reader of spans: windows, rule options, silences and --since read alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
