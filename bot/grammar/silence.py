"""The grammar of `silence NAME [GROUP] for 2h [reason TEXT...]` and `unsilence NAME [GROUP]`."""

from __future__ import annotations

from datetime import timedelta

from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import words
from bot.grammar.actions import Action, AddSilence, Unsilence, Where
from bot.grammar.tokens import Token

MAX_SILENCE = timedelta(days=30)


def parse_silence(tokens: list[Token], where: Where) -> Action:
    name = words.name(tokens, 0, "rule", "silence runaway-spend for 2h")
    group = None
    i = 1
    if i < len(tokens) and tokens[i].word != "for":
        group, i = tokens[i].text, 2
    if words.word(tokens, i) != "for":
        raise UsageError(msg.silence_needs_for(name))
    duration, used = words.span(tokens, i + 1, words.phrase(tokens, i, 2))
    if duration > MAX_SILENCE:
        raise UsageError(msg.silence_too_long(MAX_SILENCE.days))
    j = i + 1 + used
    reason = ""
    if j < len(tokens):
        if tokens[j].word not in ("reason", "because"):
            raise UsageError(msg.silence_extra(tokens[j].raw))
        reason = " ".join(t.text for t in tokens[j + 1 :])
    return AddSilence(name, group, duration, reason[: msg.MAX_REASON])


def parse_unsilence(tokens: list[Token], where: Where) -> Action:
    name = words.name(tokens, 0, "rule", "unsilence runaway-spend")
    group = tokens[1].text if len(tokens) > 1 else None
    words.nothing_after(tokens, 2, f"unsilence {name}")
    return Unsilence(name, group)
