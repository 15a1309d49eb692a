"""One entry for every command that configures alerts: `rule`, `budget`, `digest`,
`silence`, `unsilence` and `quiet`, each read by its own grammar into an Action."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.grammar.actions import Action, Where
from bot.grammar.budget import parse_budget
from bot.grammar.digest import parse_digest
from bot.grammar.quiet import parse_quiet
from bot.grammar.rule import parse_rule
from bot.grammar.silence import parse_silence, parse_unsilence
from bot.grammar.tokens import Token, tokenize

Parser = Callable[[list[Token], Where], Action]

PARSERS: dict[str, Parser] = {
    "rule": parse_rule,
    "budget": parse_budget,
    "digest": parse_digest,
    "silence": parse_silence,
    "unsilence": parse_unsilence,
    "quiet": parse_quiet,
}


def parse_action(verb: str, args: Sequence[str], where: Where) -> Action:
    """The action of `rule|budget|digest|silence|unsilence|quiet ARGS…` typed at `where`."""
    return PARSERS[verb](tokenize(" ".join(args)), where)
