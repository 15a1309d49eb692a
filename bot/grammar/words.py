"""The small words of the rule, budget, digest and silence commands: names, spans, amounts,
percentages, local times, weekdays, channels, and the `WORD VALUE` options around filters.

Each reader takes tokens and an index and returns (value, tokens used), or raises a
UsageError naming the token (texts in bot/rule_messages.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import time, timedelta
from typing import Any

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import spans
from bot.grammar.suggest import closest
from bot.grammar.tokens import AFTER_NUMBER, TRAILING, Token

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_AMOUNT = re.compile(r"\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?|\$?\.\d+")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)%?")
_CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm)?")
_CHANNEL_REF = re.compile(r"<#([CGD][A-Z0-9]{2,})(?:\|[^>]*)?>")
_CHANNEL_ID = re.compile(r"#([CGD][A-Z0-9]{2,})")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Reader = Callable[[Sequence[Token], int], tuple[Any, int]]


def word(tokens: Sequence[Token], i: int) -> str:
    return tokens[i].word if 0 <= i < len(tokens) else ""


def name(tokens: Sequence[Token], i: int, what: str, example: str) -> str:
    """A rule or budget name: lower-case letters, digits, `-` and `_`, up to 63 characters."""
    if i >= len(tokens):
        raise UsageError(msg.needs_name(what, example))
    text = tokens[i].text.strip().lower().rstrip(TRAILING)
    if not NAME.fullmatch(text):
        raise UsageError(msg.bad_name(tokens[i].raw, what))
    return text


def span(
    tokens: Sequence[Token], i: int, phrase: str, *, zero: bool = False
) -> tuple[timedelta, int]:
    """`5m`, `1h`, `2 hours`, `hour` (= 1 hour), `30s` and, with `zero`, `0`. `phrase` ends
    with tokens[i], the span's first word."""
    if zero and word(tokens, i) == "0":
        return timedelta(0), 1
    found = spans.read([word(tokens, i), word(tokens, i + 1)])
    if found is None:
        raise UsageError(msg.bad_span(phrase))
    whole = " ".join([phrase, *(t.raw for t in tokens[i + 1 : i + found.used])])
    spans.positive(found, whole, zero=zero)
    return found.delta, found.used


def amount(token: Token, what: str) -> float:
    """Dollars: `500`, `$500`, `$1,250.50`."""
    text = token.text.strip().rstrip(AFTER_NUMBER)
    text = text[:-1] if text.endswith(".") else text  # end of a sentence
    if not _AMOUNT.fullmatch(text):
        raise UsageError(msg.not_an_amount(token.raw, what))
    return float(text.replace("$", "").replace(",", ""))


def count(token: Token, what: str, low: int, high: int) -> int:
    text = token.word
    if not text.isdigit() or not low <= int(text) <= high:
        raise UsageError(msg.bad_count(token.raw, what, low, high))
    return int(text)


def percent(token: Token, what: str, *, need_sign: bool) -> float:
    """`5%` -> 5.0 (a percentage, not a fraction); `5` too unless `need_sign`."""
    text = token.text.strip().rstrip(AFTER_NUMBER)
    match = _PERCENT.fullmatch(text)
    if match is None or (need_sign and not text.endswith("%")):
        raise UsageError(msg.not_a_percent(token.raw, what))
    return float(match.group(1))


def clock(tokens: Sequence[Token], i: int, phrase: str) -> tuple[time, int]:
    """`09:00`, `9:30`, `9am`, `9:30 pm`, `21:15`."""
    match = _CLOCK.fullmatch(word(tokens, i))
    if match is None or (match.group(2) is None and match.group(3) is None):
        raise UsageError(msg.bad_clock(phrase))
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    used = 1
    if half is None and word(tokens, i + 1) in ("am", "pm"):
        half, used = word(tokens, i + 1), 2
    if half is not None:
        if not 1 <= hour <= 12:
            raise UsageError(msg.bad_clock(phrase))
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise UsageError(msg.bad_clock(phrase))
    return time(hour, minute), used


def weekday(token: Token) -> int:
    """`mon`, `Monday`, `tue`… -> 0 (Monday) to 6."""
    text = token.word
    found = [i for i, day in enumerate(WEEKDAYS) if len(text) >= 2 and day.startswith(text)]
    if len(found) == 1:
        return found[0]
    guess = closest(text, WEEKDAYS) if not found else None
    raise UsageError(msg.bad_weekday(token.raw, guess))


def channel(token: Token) -> str:
    """`<#C123|name>` (what Slack sends for a picked channel) or `#C123`: the channel id."""
    text = token.text.strip().rstrip(TRAILING)
    match = _CHANNEL_REF.fullmatch(text) or _CHANNEL_ID.fullmatch(text)
    if match is None:
        raise UsageError(msg.bad_channel(token.raw))
    return match.group(1)


def take_options(
    tokens: Sequence[Token], readers: Mapping[str, Reader]
) -> tuple[dict[str, Any], list[Token]]:
    """Read `WORD VALUE` options anywhere among `tokens`; the other tokens in order.

    A reader gets the index just after its word and returns (value, tokens used).
    """
    found: dict[str, Any] = {}
    rest: list[Token] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        key = token.word if not token.literal else ""
        reader = readers.get(key)
        if reader is None:
            rest.append(token)
            i += 1
            continue
        if key in found:
            raise UsageError(msg.option_twice(key))
        value, used = reader(tokens, i + 1)
        found[key] = value
        i += 1 + used
    return found, rest


def after(tokens: Sequence[Token], i: int, what: str, example: str) -> Token:
    """The token an option word needs, or a message saying what it needs."""
    if i >= len(tokens):
        raise UsageError(msg.option_needs(what, example))
    return tokens[i]


def phrase(tokens: Sequence[Token], start: int, used: int) -> str:
    return " ".join(t.raw for t in tokens[max(0, start) : start + used])


def nothing_after(tokens: Sequence[Token], n: int, phrase: str) -> None:
    """Refuse words left after the `n` a command takes."""
    if len(tokens) > n:
        raise UsageError(msg.extra_words(tokens[n].raw, phrase))
