"""The `/imgmetrics` language: text in, a Command holding a Query out (CONTRACT.md §4).

    [COMMAND] [FILTER...] [WINDOW] [by DIMENSION] [sort:PROPERTY,asc|desc] [tz ZONE] [share]

Shared parts (filters, window, tz, by, sort) are read by bot/filters.py; this module picks the
verb and reads what is particular to it. Rule, budget, digest and silence commands keep their
words raw in `args` for their own parsers, which reuse `parse_filters`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import messages as msg
from bot.grammar.compare import take_versus
from bot.grammar.filters import (
    COMPARISON,
    DIMENSION_NAMES,
    FRIENDLY_COMPARISONS,
    RANK_WORDS,
    dimension,
    parse_filters,
    split_key,
)
from bot.grammar.parts import FilterParts
from bot.grammar.query_text import format_query
from bot.grammar.suggest import closest
from bot.grammar.tokens import TRAILING, Token, tokenize
from revenium import params as P
from revenium import windows as W
from revenium.query import Query, Window

__all__ = ["Command", "FilterParts", "Token", "format_query", "parse", "parse_filters", "tokenize"]

QUERY_VERBS = ("summary", "top", "list", "errors", "trend", "export", "why")
RAW_VERBS = ("rule", "budget", "digest", "silence", "unsilence", "quiet")
VERBS = (*QUERY_VERBS, "show", "help", *RAW_VERBS)
PREFIX = "/imgmetrics"
SHARE = "share"
TOP_DEFAULT, TOP_MIN, TOP_MAX = 10, 1, 50
SPEND = ("cost", "spend")
HOURLY_UP_TO = timedelta(hours=48)  # trend steps by hour up to this window length, else by day
_QUERY_WORDS = ("today", "yesterday", "this", "last", "past", "since", "from", "by", "tz")
_GUESS_WORDS = (
    *_QUERY_WORDS,
    "this week",
    "this month",
    "last week",
    "last month",
    SHARE,
    *VERBS,
)


@dataclass(frozen=True)
class Command:
    verb: str
    query: Query  # filters + window (always resolved) + group_by + sort + strict
    args: tuple[str, ...]  # verb-specific words: ("5",) for `top model 5`, the id for `show`, ...
    share: bool  # the text ended with `share`
    tz: str  # IANA zone used
    limit: int | None  # rows of `top` (default 10)
    interval: str | None  # "hour" | "day" for trend
    raw: str
    versus: Window | None = None  # why: the window compared with


def parse(text: str, *, now: datetime, tz: str = "UTC") -> Command:
    """Read one command; raises UsageError naming the token that could not be understood."""
    tokens = tokenize(text)
    if tokens and tokens[0].text.lower() == PREFIX:
        tokens = tokens[1:]
    share = bool(tokens) and tokens[-1].word == SHARE
    if share:
        tokens = tokens[:-1]
    verb, tokens = _verb(tokens)
    base = Command(
        verb, Query(window=W.default(now, ZoneInfo(tz))), (), share, tz, None, None, text
    )
    if verb in RAW_VERBS:
        return replace(base, args=tuple(t.raw for t in tokens))
    if verb == "help":
        return replace(base, args=tuple(t.word.rstrip(":") or t.text for t in tokens))
    if verb == "show":
        return replace(base, args=(_record_id(tokens),))
    return _query_command(base, tokens, now)


def _verb(tokens: list[Token]) -> tuple[str, list[Token]]:
    if not tokens:
        return "summary", tokens
    first = tokens[0]
    if first.word == SHARE:
        raise UsageError(msg.share_last(first.raw))
    if first.word in VERBS:
        return first.word, tokens[1:]
    if not first.literal and (
        first.word in _QUERY_WORDS
        or split_key(first)
        or COMPARISON.fullmatch(first.text)
        or first.text.partition("=")[0].lower() in P.KEYS  # `model=x`: a filter, mistyped
    ):
        return "summary", tokens
    guess = closest(first.text, (*VERBS, *_QUERY_WORDS))
    raise UsageError(msg.unknown_command(first.raw, guess, VERBS))


def _record_id(tokens: list[Token]) -> str:
    if not tokens:
        raise UsageError(msg.show_needs_id())
    if len(tokens) > 1:
        raise UsageError(msg.show_extra(tokens[1].raw))
    return tokens[0].text if tokens[0].literal else tokens[0].text.rstrip(TRAILING)


def _query_command(base: Command, tokens: list[Token], now: datetime) -> Command:
    dim: str | None = None
    if base.verb == "trend" and tokens and not tokens[0].literal and tokens[0].word in SPEND:
        tokens = tokens[1:]  # `trend cost last 14d`: spend is what a trend shows
    if base.verb == "top":
        dim, count, tokens = _top(tokens)
        base = replace(base, limit=int(count) if count else TOP_DEFAULT, args=_opt(count))
    versus, tokens = take_versus(tokens, now, base.tz) if base.verb == "why" else (None, tokens)
    parts, rest = parse_filters(tokens, now=now, tz=base.tz)
    if rest:
        raise UsageError(_leftover(rest[0]))
    query = parts.query
    if dim is not None:
        if query.group_by not in (None, dim):
            raise UsageError(msg.top_ranks(f"by {query.group_by}"))
        query = replace(query, group_by=dim)
    if parts.interval is not None and base.verb != "trend":
        raise UsageError(msg.interval_needs_trend(f"by {parts.interval}"))
    assert query.window is not None
    return replace(
        base,
        query=query,
        tz=parts.tz,
        interval=_interval(base.verb, parts),
        versus=None if versus is None else versus.of(query.window),
    )


def _opt(count: str | None) -> tuple[str, ...]:
    return (count,) if count else ()


def _interval(verb: str, parts: FilterParts) -> str | None:
    if verb != "trend":
        return None
    if parts.interval is not None:
        return parts.interval
    window = parts.query.window
    assert window is not None
    return "hour" if window.end - window.start <= HOURLY_UP_TO else "day"


def _top(tokens: list[Token]) -> tuple[str, str | None, list[Token]]:
    """`top DIM [N]` (or `top N DIM`), with `by cost` allowed anywhere: (API name, N, rest)."""
    tokens = _drop_rank(tokens)
    dim: str | None = None
    count: str | None = None
    i = 0
    while i < min(2, len(tokens)) and not tokens[i].literal:
        found = dimension(tokens[i].word) if dim is None else None
        if found is not None:
            dim = found.name
        elif count is None and tokens[i].word.removeprefix("-").isdigit():  # `-5`: refused
            count = tokens[i].word
        else:
            break
        i += 1
    if dim is None:
        if i < len(tokens) and not split_key(tokens[i]):
            word = tokens[i].text
            raise UsageError(msg.bad_group(word, closest(word, DIMENSION_NAMES), DIMENSION_NAMES))
        raise UsageError(msg.top_needs_dim(DIMENSION_NAMES))
    if count is not None and not TOP_MIN <= int(count) <= TOP_MAX:
        raise UsageError(msg.top_count(f"top {count}", TOP_MIN, TOP_MAX))
    return dim, count, tokens[i:]


def _drop_rank(tokens: list[Token]) -> list[Token]:
    for i in range(len(tokens) - 1):
        if tokens[i].word == "by" and tokens[i + 1].word in RANK_WORDS:
            return [*tokens[:i], *tokens[i + 2 :]]
    return tokens


def _leftover(token: Token) -> str:
    """The message for the first token nothing could read, with the likeliest fix."""
    if token.word == SHARE:
        return msg.share_last(token.raw)
    match = COMPARISON.fullmatch(token.text) if not token.literal else None
    if match is not None:
        guess = closest(match.group(1), FRIENDLY_COMPARISONS)
        return msg.unknown_comparison(token.raw, match.group(1), guess, FRIENDLY_COMPARISONS)
    key, eq, value = token.text.partition("=")
    if eq and key.lower() in P.KEYS:
        return msg.not_understood(token.raw, f"{key}:{value}")
    return msg.not_understood(token.raw, closest(token.word or token.text, _GUESS_WORDS))
