"""Who may change rules, budgets, digests and silences (DESIGN.md §5).

`IMGMETRICS_ADMINS`, when set, names exactly the Slack users who are admins. Otherwise
workspace admins and owners, asked of Slack (`users.info`) and remembered for a few
minutes; any failure to ask refuses (fail closed). `console`, and `ask` without `--user`,
act as the shell operator (bot.reply.OPERATORS), who passes: shell access to the database
is full control already. The lookup itself is Slack's (bot/slack/admins.py), handed in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.errors import Refusal
from bot.reply import OPERATORS
from bot.runtime import AdminCheck, Runtime
from revenium.clock import Clock

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(minutes=5)
UserInfo = Callable[[str], Mapping[str, Any]]  # users.info -> its `user` object


@dataclass
class Admins:
    """`check(user)` answers; `require(user, what)` refuses with a message naming the admins."""

    named: frozenset[str]
    lookup: UserInfo | None  # None: no Slack token, nobody to ask
    clock: Clock
    ttl: timedelta = CACHE_TTL
    _cache: dict[str, tuple[bool, datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, user: str) -> bool:
        if user in OPERATORS:
            return True
        if self.named:
            return user in self.named
        if self.lookup is None:
            return False
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(user)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            info = self.lookup(user)
        except Exception as error:  # any failure refuses; the cause goes to the log only
            log.warning("users.info failed for %s: %s", user, type(error).__name__)
            return False
        allowed = bool(info.get("is_admin") or info.get("is_owner"))
        with self._lock:
            self._cache[user] = (allowed, now)
        return allowed

    def require(self, user: str, what: str) -> None:
        """Raise Refusal unless `user` may change `what` ("rules", "digests", ...)."""
        if not self.check(user):
            raise Refusal(refusal(what, self.named, asked_slack=self.lookup is not None))


def refusal(what: str, named: frozenset[str], *, asked_slack: bool) -> str:
    if named:
        listed = ", ".join(f"<@{u}>" for u in sorted(named))
        return f"⛔ Only imgmetrics admins can change {what}. Admins here: {listed}."
    if asked_slack:
        return (
            f"⛔ Only imgmetrics admins can change {what}. Admins here: the workspace's "
            "admins and owners (or whoever IMGMETRICS_ADMINS names)."
        )
    return (
        f"⛔ Only imgmetrics admins can change {what}. Without Slack to ask who the workspace "
        "admins are, set IMGMETRICS_ADMINS to their Slack user ids, e.g. "
        "`IMGMETRICS_ADMINS=U0123ABCD,U0456EFGH`."
    )


def admins_of(rt: Runtime) -> AdminCheck:
    """The runtime's admin check; without one, only IMGMETRICS_ADMINS (and the operator)."""
    if rt.admins is None:
        rt.admins = Admins(rt.settings.admins, None, rt.clock)
    return rt.admins
