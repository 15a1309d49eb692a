"""Carrying out `digest daily|weekly|off|now|status`: store through storage/digests.py, with
an audit line, and say when each digest posts next (local time and Slack's own date).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from bot.alerts.digest import build_digest, digest_extras
from bot.commands.call import Call, note
from bot.errors import NotFound
from bot.grammar import rule_messages as msg
from bot.grammar.actions import DigestVerb, SetDigest
from bot.render import changes as CR
from bot.reply import Reply
from rules.digest import post_time
from rules.model import Digest
from rules.schedule import digest_due, local_instant
from storage import digests as D

PREVIEW_AT = time(9, 0)  # `digest now` where no digest is set: as if set for 09:00
LOOK_AHEAD_DAYS = 15


def set_digest(action: SetDigest, call: Call) -> Reply:
    digest = action.digest
    D.save_digest(call.db, digest)
    note(call, f"digest {D.digest_kind(digest)}", digest.channel)
    last = D.digest_last_posted(call.db, digest.channel, D.digest_kind(digest))
    return CR.digest_set_reply(digest, next_post(digest, last, call.now))


def digest_verb(action: DigestVerb, call: Call) -> Reply:
    if action.verb == "off":
        removed = D.delete_digests(call.db, action.channel)
        if not removed:
            raise NotFound(msg.no_digest(action.channel))
        note(call, "digest off", action.channel)
        return CR.done_reply(msg.digest_off(action.channel, removed))
    if action.verb == "now":
        return preview(action.channel, call)
    found = [
        (d, next_post(d, D.digest_last_posted(call.db, d.channel, D.digest_kind(d)), call.now))
        for d in D.list_digests(call.db)
    ]
    return CR.digest_status_reply(found)


def preview(channel: str, call: Call) -> Reply:
    """`digest now`: the channel's digest (daily first) over the local day that ended, as it
    would post now; ephemeral unless shared. Without a digest set: the defaults."""
    found = D.list_digests(call.db, channel)
    digest = found[0] if found else Digest(channel, PREVIEW_AT, call.now, call.rt.settings.tz)
    today = call.now.astimezone(ZoneInfo(digest.tz)).date()
    extras = digest_extras(call.db, channel, call.now)
    reply = build_digest(
        call.rt.source, replace(digest, skip_empty=False), today, call.now, extras=extras
    )
    assert reply is not None  # skip_empty is off for a preview
    return reply


def next_post(digest: Digest, last_posted: date | None, now: datetime) -> datetime | None:
    """When the digest posts next: now, if one is due and not yet posted; else its next time."""
    ready = partial(post_time, digest)
    due = digest_due(
        digest.at,
        digest.tz,
        now,
        last_posted,
        digest.created_at,
        weekday=digest.weekday,
        post_at=ready,
    )
    if due is not None:
        return now
    today = now.astimezone(ZoneInfo(digest.tz)).date()
    for ahead in range(LOOK_AHEAD_DAYS):
        day = today + timedelta(days=ahead)
        if digest.weekday is not None and day.weekday() != digest.weekday:
            continue
        if last_posted is not None and day <= last_posted:
            continue
        at = local_instant(day, digest.at, digest.tz)
        if ready(day, at) > now and at >= digest.created_at:
            return ready(day, at)
    return None
