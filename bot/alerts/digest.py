"""A digest as it posts: its figures (rules/digest.py), what storage knows about the
channel (budgets, the last day's alerts, silences ending soon), rendered as a message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlite_utils import Database

from bot.render.digest import digest_reply
from bot.reply import Reply
from revenium.source import MetricsSource
from rules.digest import ALERT_KINDS, NO_EXTRAS, SOON, Extras, digest_figures
from rules.model import Digest
from storage import alerts as A
from storage import budgets as B
from storage import outbox as O
from storage import silences as S


def build_digest(
    source: MetricsSource,
    digest: Digest,
    local_date: date,
    now: datetime,
    *,
    extras: Extras = NO_EXTRAS,
    late: bool = False,
) -> Reply | None:
    """The digest due on `local_date` (DigestSlot.local_date), covering the local day before
    it (weekly: the 7 days before). None when `skip-empty` and nothing was spent."""
    figures = digest_figures(source, digest, local_date, now, extras=extras, late=late)
    if digest.skip_empty and figures.summary.requests == 0:
        return None
    return digest_reply(figures)


def digest_extras(db: Database, channel: str, now: datetime) -> Extras:
    """Budgets posting to `channel`, its alerts of the last 24 h, silences ending soon."""
    rules = {r.name for r in A.list_rules(db) if r.channel == channel}
    rows = O.happened_since(db, now - timedelta(hours=24), ALERT_KINDS)
    ending = [
        s.silence
        for s in S.active_silences(db, now)
        if s.silence.rule in rules and s.silence.until - now <= SOON
    ]
    return Extras(
        budgets=tuple(b for b in B.list_budgets(db) if b.channel == channel),
        alerts=tuple((r.subject, r.kind) for r in rows if r.channel == channel),
        silences=tuple(sorted(ending, key=lambda s: s.until)),
    )
