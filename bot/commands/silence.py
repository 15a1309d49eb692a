"""Carrying out `silence NAME [GROUP] for 2h` and `unsilence NAME [GROUP]`."""

from __future__ import annotations

from bot.commands.call import Call, note
from bot.commands.rule import find_rule
from bot.errors import NotFound, UsageError
from bot.grammar import rule_messages as msg
from bot.grammar import values
from bot.grammar.actions import AddSilence, Unsilence
from bot.grammar.query_text import key_of
from bot.render import changes as CR
from bot.reply import Reply
from revenium import params as P
from rules.model import Rule
from rules.silences import Silence
from rules.thresholds import Group
from storage import silences as S


def add_silence(action: AddSilence, call: Call) -> Reply:
    rule = find_rule(call.db, action.rule)
    group = action.group if action.exact else typed_group(rule, action.group)
    silence = Silence(rule.name, group, call.now + action.duration, call.ctx.user, action.reason)
    S.add_silence(call.db, silence, call.now)
    note(call, "silence", rule.name)
    return CR.silence_reply(silence, rule.tz)


def unsilence(action: Unsilence, call: Call) -> Reply:
    rule = find_rule(call.db, action.rule)
    group = action.group if action.exact else typed_group(rule, action.group)
    ended = S.end_silences(call.db, rule.name, group, call.now)
    if not ended:
        raise NotFound(msg.no_silence(rule.name))
    note(call, "unsilence", rule.name)
    return CR.unsilence_reply(rule.name, group, ended)


def typed_group(rule: Rule, text: Group) -> Group:
    """`silence NAME dall-e-3 for 2h`: the group as the rule's `by` dimension spells it."""
    if text is None:
        return None
    if rule.by is None:
        raise UsageError(msg.not_grouped(rule.name, str(text)))
    param = P.param(rule.by)
    return values.typed(param, str(text), str(text), key=key_of(param), quoted=False)
