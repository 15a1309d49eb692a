"""Carrying out `quiet 22:00-07:00 …`, `quiet off` and `quiet` (the list)."""

from __future__ import annotations

from bot.commands.call import Call, note
from bot.grammar.actions import ListQuiet, QuietOff, SetQuiet
from bot.render import quiet as QR
from bot.reply import Reply
from storage import quiet as Q


def set_quiet(action: SetQuiet, call: Call) -> Reply:
    Q.set_quiet(call.db, action.hours, call.now)
    note(call, "quiet", action.hours.channel)
    return QR.quiet_set_reply(action.hours)


def quiet_off(action: QuietOff, call: Call) -> Reply:
    had = Q.quiet_off(call.db, action.channel)
    if had:
        note(call, "quiet off", action.channel)
    return QR.quiet_off_reply(action.channel, had)


def list_quiet(action: ListQuiet, call: Call) -> Reply:
    return QR.quiet_list_reply(Q.list_quiet(call.db))
