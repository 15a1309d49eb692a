"""The grammar of `quiet …`:

quiet 22:00-07:00 [tz ZONE] [in #channel] | quiet off [in #channel] | quiet (list them)
"""

from __future__ import annotations

import re
from datetime import time

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.actions import Action, ListQuiet, QuietOff, SetQuiet, Where
from bot.grammar.filters import take_tz
from bot.grammar.options import channel_option
from bot.grammar.tokens import Token
from rules.quiet import QuietHours

_APART = re.compile(r"(.+?)-(.+)")  # `22:00-07:00` typed as one word
_TO = ("-", "to", "until", "till")
EXAMPLE = "quiet 22:00-07:00 tz Europe/Berlin"


def parse_quiet(tokens: list[Token], where: Where) -> Action:
    zone, tokens = take_tz(tokens, where.tz)
    options, rest = words.take_options(tokens, {"in": channel_option})
    channel = options.get("in", where.channel)
    if not rest:
        if "in" in options:
            raise UsageError(msg.quiet_needs(EXAMPLE))
        return ListQuiet()
    if rest[0].word == "off":
        words.nothing_after(rest, 1, "quiet off")
        return QuietOff(channel)
    start, end = _span(rest)
    try:
        return SetQuiet(QuietHours(channel, start, end, zone, where.user))
    except ValueError as error:
        raise UsageError(msg.bad_quiet(str(error))) from None


def _span(tokens: list[Token]) -> tuple[time, time]:
    """`22:00-07:00`, `22:00 - 07:00`, `10pm to 7am`: two local times."""
    joined = _APART.fullmatch(tokens[0].word) if len(tokens) == 1 else None
    pieces = (
        [Token(joined[1], joined[1], 0), Token("-", "-", 0), Token(joined[2], joined[2], 0)]
        if joined
        else tokens
    )
    phrase = words.phrase(tokens, 0, len(tokens))
    try:
        start, used = words.clock(pieces, 0, phrase)
        between = pieces[used].text.lower() if used < len(pieces) else ""
        if between not in _TO:
            raise UsageError(msg.quiet_needs(EXAMPLE))
        end, more = words.clock(pieces, used + 1, phrase)
    except UsageError:
        raise UsageError(msg.quiet_needs(EXAMPLE)) from None
    words.nothing_after(pieces, used + 1 + more, phrase)
    return start, end
