"""The grammar of `budget …`:

budget NAME AMOUNT per day|week|month [FILTER...] [at 50,80,100] [tz ZONE] [in #channel]
budget list | show NAME | delete NAME
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.actions import Action, BudgetVerb, ListRules, SetBudget, Where
from bot.grammar.filters import parse_filters
from bot.grammar.options import channel_option, query_only
from bot.grammar.tokens import Token
from rules.model import Budget, Period

VERBS = ("list", "show", "delete")
_PERIODS = {
    "day": Period.DAY,
    "daily": Period.DAY,
    "week": Period.WEEK,
    "weekly": Period.WEEK,
    "month": Period.MONTH,
    "monthly": Period.MONTH,
}
_LEVELS = re.compile(r"\d{1,4}%?(?:,\d{1,4}%?)*,?")
MAX_LEVEL = 1000  # percent of the budget


def parse_budget(tokens: list[Token], where: Where) -> Action:
    example = "budget images-monthly 20000 per month"
    first = words.word(tokens, 0)
    if first in ("add", "set", "new") and len(tokens) > 2 and not _amount_like(tokens[1]):
        tokens, first = tokens[1:], words.word(tokens, 1)  # `budget add NAME …`, as `rule add`
    if first in VERBS:
        if first == "list":
            return ListRules()
        name = words.name(tokens, 1, "budget", f"budget {first} images-monthly")
        if len(tokens) > 2:
            raise UsageError(msg.extra_words(tokens[2].raw, f"budget {first} {name}"))
        return BudgetVerb("show" if first == "show" else "delete", name)
    name = words.name(tokens, 0, "budget", example)
    if len(tokens) < 2:
        raise UsageError(msg.budget_needs_amount(name))
    amount = words.amount(tokens[1], "a budget")
    period, used = _period(tokens, 2, name)
    options, rest = words.take_options(tokens[2 + used :], OPTIONS)
    parts, left = parse_filters(rest, now=where.now, tz=where.tz)
    query = query_only(parts, left, "budget", OPTIONS)
    extra = {"thresholds": options["at"]} if "at" in options else {}
    try:
        budget = Budget(
            name=name,
            amount=amount,
            period=period,
            tz=parts.tz,
            query=query,
            channel=options.get("in", where.channel),
            created_by=where.user,
            **extra,
        )
    except ValueError as error:
        raise UsageError(msg.bad_budget(name, str(error))) from None
    return SetBudget(budget)


def _period(tokens: Sequence[Token], i: int, name: str) -> tuple[Period, int]:
    """`per month` or `monthly` (likewise day and week)."""
    first = words.word(tokens, i)
    if first in ("daily", "weekly", "monthly"):
        return _PERIODS[first], 1
    second = words.word(tokens, i + 1)
    if first == "per" and second in ("day", "week", "month"):
        return _PERIODS[second], 2
    raise UsageError(msg.budget_needs_period(name, words.phrase(tokens, i, 2) or None))


def _levels(tokens: Sequence[Token], i: int) -> tuple[tuple[int, ...], int]:
    """`at 50,80,100`, `at 50, 80, 100` or `at 50% 80% 100%`."""
    words.after(tokens, i, "percentages", "at 50,80,100")
    levels: list[int] = []
    used = 0
    while i + used < len(tokens) and _LEVELS.fullmatch(tokens[i + used].text):
        levels += [int(p.rstrip("%")) for p in tokens[i + used].text.split(",") if p]
        used += 1
    if not levels or not all(0 < p <= MAX_LEVEL for p in levels):
        raise UsageError(msg.bad_levels(words.phrase(tokens, i - 1, max(2, used + 1))))
    return tuple(levels), used


OPTIONS: dict[str, words.Reader] = {"at": _levels, "in": channel_option}


def _amount_like(token: Token) -> bool:
    try:
        words.amount(token, "a budget")
    except UsageError:
        return False
    return True
