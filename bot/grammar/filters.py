"""`parse_filters`: the part of the language every command shares — `key:value` filters,
comparisons, the window, `tz ZONE`, `by DIMENSION` and `sort:` — read into a Query.

Tokens it does not know are handed back in order, so rule, budget and digest parsers can
read their own words (`per 1h`, `in #channel`) around the filters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.errors import UsageError
from bot.grammar import messages as msg
from bot.grammar import values
from bot.grammar.parts import Bound, FilterParts, Parts
from bot.grammar.suggest import closest
from bot.grammar.tokens import TRAILING, Token
from bot.grammar.windows import read_point, take_window
from revenium import params as P
from revenium import windows as W
from revenium.query import Op, Strict

__all__ = ["COMPARISON", "DIMENSIONS", "FilterParts", "parse_filters", "split_key"]

_KEY = re.compile(r"[A-Za-z][\w-]*")
COMPARISON = re.compile(r"([A-Za-z][\w-]*)(>=|<=|>|<)(.*)", re.DOTALL)
_STRICT_OPS: dict[str, Op] = {">": ">", "<": "<"}
_TZ = "tz"
RANK_WORDS = ("cost", "spend")  # what `top` ranks by: `top agent by cost`
_SORT = "sort"
_INTERVALS = {
    "hour": "hour",
    "hours": "hour",
    "hourly": "hour",
    "day": "day",
    "days": "day",
    "daily": "day",
}

# Words usable with > >= < <=: the table's comparison words, plus the record fields they read.
COMPARE_WORDS: dict[str, tuple[P.Param, P.Param]] = {
    **{w.lower(): pair for w, pair in P.COMPARISONS.items()},
    **{pair[0].field.lower(): pair for pair in P.COMPARISONS.values() if pair[0].field},
}
FRIENDLY_COMPARISONS = tuple(P.COMPARISONS)
# `by` / `top` dimensions: every FILTER-role key or alias, lower-cased.
DIMENSIONS: dict[str, P.Param] = {k: p for k, p in P.KEYS.items() if p.role is P.Role.FILTER}
DIMENSION_NAMES = tuple(
    p.aliases[0] if p.aliases else p.name for p in P.FILTERS if p.role is P.Role.FILTER
)
KEY_SPELLINGS = (
    *(k for p in P.PARAMS if p.name.lower() in P.KEYS for k in (p.name, *p.aliases)),
    _SORT,
    _TZ,
)
SORT_FIELDS: dict[str, str] = {
    f.lower(): f for f in sorted({p.field for p in P.PARAMS if p.field} | {"responseTime"})
}


@dataclass(frozen=True)
class Split:
    key: str
    value: str
    quoted: bool


def split_key(token: Token) -> Split | None:
    """`key:value` when the token has that shape (`09:00` has not: keys start with a letter)."""
    if token.literal or token.is_ref:
        return None
    colon = token.text.find(":")
    if colon < 1 or (token.quote_at is not None and token.quote_at <= colon):
        return None
    key = token.text[:colon]
    if not _KEY.fullmatch(key) or any(op in key for op in "<>"):
        return None
    return Split(key, token.text[colon + 1 :], token.quote_at is not None)


def dimension(word: str) -> P.Param | None:
    word = word.lower()
    found = DIMENSIONS.get(word)
    if found is None and word.endswith("s"):
        found = DIMENSIONS.get(word[:-1])
    return found


def parse_filters(
    tokens: Sequence[Token], *, now: datetime, tz: str
) -> tuple[FilterParts, list[Token]]:
    """Filters, window, tz, `by` and `sort:` read from `tokens`; the tokens left, in order."""
    zone_name, remaining = take_tz(tokens, tz)
    parts = Parts(now=now, zone=ZoneInfo(zone_name))
    rest: list[Token] = []
    i = 0
    while i < len(remaining):
        used = _take(remaining, i, parts)
        if used == 0:
            rest.append(remaining[i])
        i += max(used, 1)
    return parts.finish(), rest


def take_tz(tokens: Sequence[Token], default: str) -> tuple[str, list[Token]]:
    """The zone of `tz ZONE` (or `tz:ZONE`), checked; the other tokens."""
    zone, seen, rest = default, "", []
    i = 0
    while i < len(tokens):
        token, split = tokens[i], split_key(tokens[i])
        if token.word == _TZ or (split and split.key.lower() == _TZ):
            name = split.value if split else (tokens[i + 1].text if i + 1 < len(tokens) else "")
            if not name:
                raise UsageError(msg.tz_needs_zone())
            if seen:
                raise UsageError(msg.given_twice(_TZ))
            zone, seen = _zone(name), name
            i += 1 if split else 2
            continue
        rest.append(token)
        i += 1
    return zone, rest


def _zone(name: str) -> str:
    found = W.find_zone(name.rstrip(TRAILING))
    if found is None:
        raise UsageError(msg.unknown_zone(name, closest(name, W.zone_names().values())))
    return found


def _take(tokens: Sequence[Token], i: int, parts: Parts) -> int:
    """How many tokens from tokens[i] form one filter/window/by/sort (0: none of those)."""
    token = tokens[i]
    if token.literal or token.is_ref:
        return 0
    window = take_window(tokens, i, parts.now, parts.zone)
    if window is not None:
        parts.set_window(window[0], window[1])
        return window[2]
    if token.word == "by":
        return _take_by(tokens, i, parts)
    split = split_key(token)
    if split is not None:
        return _take_key(tokens, i, split, parts)
    return _take_compared(tokens, i, parts)


def _take_compared(tokens: Sequence[Token], i: int, parts: Parts) -> int:
    token = tokens[i]
    match = COMPARISON.fullmatch(token.text)
    if match is None or (token.quote_at is not None and token.quote_at < match.start(3)):
        return 0
    word, op, value = match.groups()
    unit = tokens[i + 1].word if i + 1 < len(tokens) and not tokens[i + 1].quoted else ""
    if unit in values.DURATION_UNITS and _is_duration(word) and values.is_number(value):
        return _take_comparison(token, word, op, value + unit, parts) and 2  # `duration>3 s`
    return _take_comparison(token, word, op, value, parts)


def _is_duration(word: str) -> bool:
    pair = COMPARE_WORDS.get(word.lower())
    return pair is not None and pair[0].unit == "ms"


def _take_by(tokens: Sequence[Token], i: int, parts: Parts) -> int:
    if i + 1 >= len(tokens):
        raise UsageError(msg.by_needs(DIMENSION_NAMES))
    token = tokens[i + 1]
    phrase = f"by {token.raw}"
    if token.word in _INTERVALS:
        parts.set_interval(_INTERVALS[token.word], phrase)
        return 2
    found = dimension(token.word) if not token.literal else None
    if found is None and token.word in RANK_WORDS:
        raise UsageError(msg.by_rank(token.text))
    if found is None:
        guess = closest(token.text, DIMENSION_NAMES)
        raise UsageError(msg.bad_group(token.text, guess, DIMENSION_NAMES))
    parts.set_group(found.name, phrase)
    return 2


def _take_key(tokens: Sequence[Token], i: int, split: Split, parts: Parts) -> int:
    token, key = tokens[i], split.key.lower()
    if key == _SORT:
        return _take_sort(tokens, i, split.value, parts)
    param = P.KEYS.get(key)
    if param is None:
        if key in COMPARE_WORDS:
            raise UsageError(msg.needs_comparison(token.raw, split.key))
        raise UsageError(msg.unknown_filter(split.key, closest(split.key, KEY_SPELLINGS)))
    if param.role is P.Role.WINDOW:
        pieces = [Token(split.value, split.value, token.pos), *tokens[i + 1 : i + 2]]
        end = param.name == P.END_DATE
        when, used = read_point(pieces, 0, parts.zone, end=end, phrase=token.raw)
        parts.set_point(param.name, when, " ".join(t.raw for t in tokens[i : i + used]))
        return used
    if param.role is P.Role.FILTER:
        value = values.typed(param, split.value, token.raw, key=split.key, quoted=split.quoted)
        parts.add_filter(param.name, value, split.key)
    else:
        number = values.number(param, split.value, token.raw)
        parts.add_bound(Bound(param, values.bound(param, number, token.raw), None, token.raw))
    return 1


def _take_comparison(token: Token, word: str, op: str, text: str, parts: Parts) -> int:
    pair = COMPARE_WORDS.get(word.lower())
    if pair is None:
        if word.lower() in P.KEYS:
            raise UsageError(msg.not_comparable(token.raw, word))
        guess = closest(word, FRIENDLY_COMPARISONS)
        if guess is None:
            return 0  # not a filter: `errors>10` may be a rule's condition
        raise UsageError(msg.unknown_comparison(token.raw, word, guess, FRIENDLY_COMPARISONS))
    param = pair[0] if op.startswith(">") else pair[1]
    number = values.number(param, text, token.raw)
    inclusive = number  # the API's Min/Max are inclusive: integer fields step past a strict bound
    if param.kind is P.Kind.INT and op in (">", "<") and number == int(number):
        inclusive = number + 1 if op == ">" else number - 1
    value = values.bound(param, inclusive, token.raw)
    strict_op = _STRICT_OPS.get(op)
    strict = Strict(param.field or param.name, strict_op, number) if strict_op else None
    parts.add_bound(Bound(param, value, strict, token.raw))
    return 1


def _take_sort(tokens: Sequence[Token], i: int, value: str, parts: Parts) -> int:
    prop, _, direction = value.partition(",")
    used = 1
    nxt = tokens[i + 1].word if i + 1 < len(tokens) else ""
    if not direction and nxt in ("asc", "desc"):
        direction, used = nxt, 2
    field = _sort_field(prop.strip())
    direction = direction.strip().lower().rstrip(TRAILING) or "asc"
    if field is None or direction not in ("asc", "desc"):
        candidates = (*SORT_FIELDS.values(), *FRIENDLY_COMPARISONS)
        guess = closest(prop, candidates) if field is None else None
        raise UsageError(msg.bad_sort(tokens[i].raw, guess))
    parts.add_sort(field, "asc" if direction == "asc" else "desc")
    return used


def _sort_field(prop: str) -> str | None:
    word = prop.lower()
    if word in SORT_FIELDS:
        return SORT_FIELDS[word]
    param = P.KEYS.get(word) or (COMPARE_WORDS[word][0] if word in COMPARE_WORDS else None)
    return param.field if param is not None and param.is_filter else None
