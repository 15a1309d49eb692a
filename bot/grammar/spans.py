"""Spans as people type them, read in one place: `15m`, `2h`, `7d`, `4w`, `30s`,
`2 hours`, `hour` (one hour). Windows (`last 7d`), rule options (`per 1h`, `every 5m`),
silences (`for 2h`) and the command line (`--since 30d`) all read them here, and all refuse
a span of zero or less (`last -5d`, `per 0h`) here, naming the form that works.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.errors import UsageError
from bot.grammar import messages as msg
from revenium import windows as W

_GLUED = re.compile(r"(-?\d+)([a-z]+)")
_NUMBER = re.compile(r"-?\d+")
SECONDS = ("s", "sec", "secs", "second", "seconds")
UNITS = {**W.UNITS, **dict.fromkeys(SECONDS, "second")}
LENGTH = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


@dataclass(frozen=True)
class Span:
    amount: int  # as typed: zero or negative until `positive` has checked it
    unit: str  # second, minute, hour, day or week
    used: int  # words read
    typed: str = ""  # the amount as written (`-5`), "" for a bare unit (`hour`)

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.amount * LENGTH[self.unit])


def read(words: Sequence[str], *, seconds: bool = True) -> Span | None:
    """The span at the start of `words` (lower-case keyword forms), or None if none is."""
    units = UNITS if seconds else W.UNITS
    first = words[0] if words else ""
    glued = _GLUED.fullmatch(first)
    if glued and glued[2] in units:
        return Span(int(glued[1]), units[glued[2]], 1, glued[1])
    if _NUMBER.fullmatch(first) and len(words) > 1 and words[1] in units:
        return Span(int(first), units[words[1]], 2, first)
    if len(first) > 1 and first in units:
        return Span(1, units[first], 1)
    return None


def positive(found: Span, phrase: str, *, zero: bool = False) -> Span:
    """`found` if it is more than zero (or zero, when `zero`); else a UsageError quoting
    `phrase` (which ends with the span) and that phrase with a span that works."""
    if found.amount > 0 or (zero and found.amount == 0):
        return found
    head = phrase.rpartition(found.typed)[0]
    fixed = f"{head}{max(1, -found.amount)}{found.unit[0]}"  # `last 0 days` -> `last 1d`
    raise UsageError(msg.span_not_positive(phrase, fixed))


def parse_span(text: str) -> timedelta:
    """A whole text that is one span (`30d`, `12h`, `2 weeks`); ValueError otherwise."""
    words = text.strip().lower().split()
    span = read(words)
    if span is None or span.used != len(words) or span.amount <= 0:
        raise ValueError(f"`{text}` is not a span: use e.g. 30d, 12h or 2w")
    return span.delta
