"""Reading a window phrase from tokens: `last 7d`, `last 24 hours`, `this week`, `since DATE`,
`from DATE [TIME] to DATE [TIME]`. Resolution itself is revenium/windows.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import messages as msg
from bot.grammar import spans
from bot.grammar.tokens import AFTER_NUMBER, Token
from revenium import windows as W
from revenium.query import Window

Taken = tuple[Window, str, int]  # the window, the phrase as typed, tokens used

_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[zZ]|[+-]\d{2}:?\d{2})?")
_DATE_ONLY = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}")
_LAST = ("last", "past")
_TO = ("to", "until", "till")
_TO_SIGNS = ("-", "→")


def phrase_of(tokens: Sequence[Token], start: int, used: int) -> str:
    return " ".join(t.raw for t in tokens[start : start + used])


def take_window(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken | None:
    """The window phrase that begins at tokens[i], if one does."""
    word = tokens[i].word
    readers: dict[str, Callable[[Sequence[Token], int, datetime, ZoneInfo], Taken]] = {
        "today": _calendar_word,
        "yesterday": _calendar_word,
        "this": _this,
        "since": _since,
        "from": _from,
        **dict.fromkeys(_LAST, _last),
    }
    reader = readers.get(word)
    return reader(tokens, i, now, zone) if reader else None


def resolved(tokens: Sequence[Token], i: int, used: int, make: Callable[[], Window]) -> Taken:
    """Run a resolver, turning its WindowError into a message naming the phrase."""
    try:
        return make(), phrase_of(tokens, i, used), used
    except W.WindowError as error:
        raise UsageError(msg.bad_window(phrase_of(tokens, i, used), error.reason)) from None


def read_point(
    tokens: Sequence[Token], j: int, zone: ZoneInfo, *, end: bool, phrase: str
) -> tuple[datetime, int]:
    """A DATE, DATE TIME or ISO date-time at tokens[j]: (instant, tokens used)."""
    if j >= len(tokens):
        raise UsageError(msg.needs_date(phrase))
    text = tokens[j].text.rstrip(AFTER_NUMBER)
    used = 1
    nxt = tokens[j + 1].text.rstrip(AFTER_NUMBER) if j + 1 < len(tokens) else ""
    if _DATE_ONLY.fullmatch(text) and _TIME.fullmatch(nxt):
        hour, rest = nxt.split(":", 1)
        text = f"{text.replace('/', '-')}T{int(hour):02d}:{rest}"
        used = 2
    try:
        return W.parse_point(text, zone, end=end), used
    except W.WindowError as error:
        raise UsageError(msg.bad_window(phrase, error.reason)) from None


def _word(tokens: Sequence[Token], j: int) -> str:
    return tokens[j].word if j < len(tokens) else ""


def _calendar_word(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken:
    word = tokens[i].word
    return resolved(tokens, i, 1, lambda: W.calendar(word, now, zone))


def _this(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken:
    what = _word(tokens, i + 1)
    if what not in ("week", "month"):
        raise UsageError(msg.window_needs(phrase_of(tokens, i, 2)))
    return resolved(tokens, i, 2, lambda: W.calendar(f"this {what}", now, zone))


def _last(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken:
    """`last 7d`, `last 7 days`, `last hour`, `last week` and `last month` (calendar)."""
    what = _word(tokens, i + 1)
    if what in ("week", "month"):
        return resolved(tokens, i, 2, lambda: W.calendar(f"last {what}", now, zone))
    found = spans.read([what, _word(tokens, i + 2)], seconds=False)
    if found is None:
        raise UsageError(msg.window_needs(phrase_of(tokens, i, 2)))
    spans.positive(found, phrase_of(tokens, i, found.used + 1))
    amount, unit, used = found.amount, found.unit, found.used + 1
    return resolved(tokens, i, used, lambda: W.rolling(amount, unit, now, zone))


def _since(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken:
    start, used = read_point(tokens, i + 1, zone, end=False, phrase=phrase_of(tokens, i, 2))
    return resolved(tokens, i, 1 + used, lambda: W.since(start, now, zone))


def _from(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> Taken:
    phrase = phrase_of(tokens, i, 2)
    start, used = read_point(tokens, i + 1, zone, end=False, phrase=phrase)
    j = i + 1 + used
    if _word(tokens, j) not in _TO and (j >= len(tokens) or tokens[j].text not in _TO_SIGNS):
        return resolved(tokens, i, 1 + used, lambda: W.since(start, now, zone))
    phrase = phrase_of(tokens, i, j - i + 2)
    end, more = read_point(tokens, j + 1, zone, end=True, phrase=phrase)
    return resolved(tokens, i, j - i + 1 + more, lambda: W.between(start, end, now, zone))
