"""The grammar of `digest …`:

digest daily at HH:MM [tz ZONE] [FILTER...] [skip-empty] [in #channel]
digest weekly on MON at HH:MM [tz ZONE] [FILTER...] [skip-empty] [in #channel]
digest off [in #channel] | digest now [in #channel] | digest status
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Literal

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.actions import Action, DigestVerb, SetDigest, Where
from bot.grammar.filters import parse_filters
from bot.grammar.options import channel_option, query_only
from bot.grammar.suggest import closest
from bot.grammar.tokens import Token
from rules.model import Digest

VERBS = ("daily", "weekly", "off", "now", "status")


def parse_digest(tokens: list[Token], where: Where) -> Action:
    if not tokens:
        raise UsageError(msg.digest_needs_verb(VERBS))
    verb = tokens[0].word
    if verb not in VERBS:
        guess = closest(verb, VERBS)
        raise UsageError(msg.unknown_verb("digest", tokens[0].raw, guess, VERBS))
    if verb in ("daily", "weekly"):
        return SetDigest(_schedule(verb, tokens[1:], where))
    options, rest = words.take_options(tokens[1:], {"in": channel_option})
    if rest:
        raise UsageError(msg.extra_words(rest[0].raw, f"digest {verb}"))
    if verb == "status" and options:
        raise UsageError(msg.extra_words("in", "digest status"))
    checked: Literal["off", "now", "status"] = (
        "off" if verb == "off" else "now" if verb == "now" else "status"
    )
    return DigestVerb(checked, options.get("in", where.channel))


def _schedule(verb: str, tokens: list[Token], where: Where) -> Digest:
    options, rest = words.take_options(tokens, OPTIONS)
    if "at" not in options:
        raise UsageError(msg.digest_needs_at(verb))
    weekday = options.get("on")
    if verb == "weekly" and weekday is None:
        raise UsageError(msg.weekly_needs_on())
    if verb == "daily" and weekday is not None:
        raise UsageError(msg.daily_has_no_on())
    parts, left = parse_filters(rest, now=where.now, tz=where.tz)
    query = query_only(parts, left, "digest", OPTIONS)
    try:
        return Digest(
            channel=options.get("in", where.channel),
            at=options["at"],
            created_at=where.now,
            tz=parts.tz,
            weekday=weekday,
            query=query,
            skip_empty="skip-empty" in options,
            created_by=where.user,
        )
    except ValueError as error:
        raise UsageError(msg.bad_digest(str(error))) from None


def _at(tokens: Sequence[Token], i: int) -> tuple[time, int]:
    words.after(tokens, i, "a local time", "at 09:00")
    return words.clock(tokens, i, words.phrase(tokens, i - 1, 2))


def _on(tokens: Sequence[Token], i: int) -> tuple[int, int]:
    return words.weekday(words.after(tokens, i, "a weekday", "on mon")), 1


def _flag(tokens: Sequence[Token], i: int) -> tuple[bool, int]:
    return True, 0


OPTIONS: dict[str, words.Reader] = {
    "at": _at,
    "on": _on,
    "skip-empty": _flag,
    "in": channel_option,
}
