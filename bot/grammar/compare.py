"""`vs …` in `why`: what the window is compared with. `vs last week` (the same window 7 days
before), `vs yesterday` (1 day), `vs last month` (a calendar month), `vs 2026-11-01 to
2026-11-07` or any window phrase; without it, the window of the same length just before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import messages as msg
from bot.grammar.filters import take_tz
from bot.grammar.tokens import Token
from bot.grammar.windows import phrase_of, take_window
from revenium import windows as W
from revenium.query import Window
from rules.why import window_before

VERSUS = ("vs", "vs.", "versus", "against")
# Shifts back, as (days, months) and the words a reply uses for them.
SHIFTS: dict[tuple[str, ...], tuple[int, int, str]] = {
    ("last", "week"): (7, 0, "a week before"),
    ("a", "week", "before"): (7, 0, "a week before"),
    ("yesterday",): (1, 0, "the day before"),
    ("the", "day", "before"): (1, 0, "the day before"),
    ("last", "month"): (0, 1, "a month before"),
    ("the", "window", "before"): (0, 0, "the window before"),
}


@dataclass(frozen=True)
class Versus:
    """What `vs` asked for: a shift of the window, or a window of its own."""

    days: int = 0
    months: int = 0
    label: str = "the window before"
    window: Window | None = None

    def of(self, window: Window) -> Window:
        if self.window is not None:
            return self.window
        if not (self.days or self.months):
            return replace(window_before(window), label=self.label)
        return replace(W.earlier(window, days=self.days, months=self.months), label=self.label)


def take_versus(tokens: Sequence[Token], now: datetime, tz: str) -> tuple[Versus, list[Token]]:
    """The `vs …` phrase (or the default) and the other tokens, in order."""
    at = next((i for i, t in enumerate(tokens) if t.word in VERSUS), None)
    if at is None:
        return Versus(), list(tokens)
    zone, _ = take_tz(tokens, tz)
    found, used = _phrase(tokens, at + 1, now, ZoneInfo(zone))
    rest = [*tokens[:at], *tokens[at + 1 + used :]]
    again = next((t for t in rest if t.word in VERSUS), None)
    if again is not None:
        raise UsageError(msg.versus_twice(again.raw))
    return found, rest


def _phrase(tokens: Sequence[Token], i: int, now: datetime, zone: ZoneInfo) -> tuple[Versus, int]:
    for spelled, (days, months, label) in SHIFTS.items():
        if tuple(t.word for t in tokens[i : i + len(spelled)]) == spelled:
            return Versus(days, months, label), len(spelled)
    if i >= len(tokens):
        raise UsageError(msg.versus_needs(phrase_of(tokens, i - 1, 1)))
    given = list(tokens[i:])
    understood = given[0].word[:1].isdigit()  # `vs 2026-11-01 to 2026-11-07`: `from` implied
    if understood:
        given.insert(0, Token("from", "from", given[0].pos))
    taken = take_window(given, 0, now, zone)
    if taken is None:
        raise UsageError(msg.versus_needs(phrase_of(tokens, i - 1, 2)))
    window, _, used = taken
    return Versus(label=window.label, window=window), used - understood
