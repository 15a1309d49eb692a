"""The buttons on answers, alerts and rule cards: what each one asks for.

Query buttons re-ask their stored query text as a command; alert and rule-card buttons
build their action directly, and the admin is asked again on every click.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import cast

from bot.commands.call import Call
from bot.commands.configure import perform
from bot.errors import UsageError
from bot.grammar import rule_messages as msg
from bot.grammar.actions import Action, AddSilence, RuleVerb, RuleVerbName, Unsilence
from bot.reply import Context, Reply
from bot.runtime import Runtime

QUERY_ACTIONS = {  # button action_id -> how its stored query text is re-asked
    "share": "{q} share",
    "top_models": "top model {q}",
    "trend": "trend {q}",
    "show_records": "list {q}",
}
SILENCE_BUTTONS = {"silence_1h": 1, "silence_4h": 4, "silence_24h": 24}
RULE_BUTTONS = {"rule_pause": "pause", "rule_resume": "resume", "rule_test": "test"}
BUTTONS = (*SILENCE_BUTTONS, "unsilence", *RULE_BUTTONS)


def click(action_id: str, value: str, ctx: Context, rt: Runtime) -> Reply:
    """A button on an alert or a rule card, clicked by ctx.user: the admin is asked again."""
    call = Call(ctx, rt, rt.clock.now(), f"button {action_id} {value}"[: msg.MAX_REASON])
    return perform(button_action(action_id, value), call)


def button_action(action_id: str, value: str) -> Action:
    if action_id in RULE_BUTTONS:
        return RuleVerb(cast(RuleVerbName, RULE_BUTTONS[action_id]), value)
    try:
        target = json.loads(value)
        rule, group = str(target["rule"]), target.get("group")
    except (ValueError, TypeError, KeyError):
        raise UsageError(msg.bad_button(action_id)) from None
    if action_id == "unsilence":
        return Unsilence(rule, group, exact=True)
    hours = timedelta(hours=SILENCE_BUTTONS[action_id])
    return AddSilence(rule, group, hours, exact=True)
