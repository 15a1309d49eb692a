"""Who may change rules, budgets, digests and silences (DESIGN.md §5).

`IMGMETRICS_ADMINS`, when set, names exactly the admins. Otherwise workspace admins
and owners, asked of Slack (`users.info`) and remembered for a few minutes; any
failure to ask refuses (fail closed). The local shells act as the operator.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.errors import Refusal
from revenium.clock import Clock

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(minutes=5)
# The users `imgmetrics console`/`demo` and `ask` (without --user) act as. Slack user ids
# never contain `_`, so no request from Slack can claim to be one of them.
OPERATORS = frozenset({"U_CONSOLE", "U_CLI"})
UserInfo = Callable[[str], Mapping[str, Any]]  # users.info -> its `user` object


class LookupFailed(Exception):
    """users.info could not say who the user is."""


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


def slack_lookup(settings: Settings) -> UserInfo | None:
    """users.info through the Web API at SLACK_API_URL; None without a bot token."""
    if not settings.slack_bot_token:
        return None
    from slack_sdk import WebClient  # only when Slack is configured

    # No retries: someone is waiting, and a failed check refuses (they may simply ask again).
    client = WebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[],
    )

    def users_info(user: str) -> Mapping[str, Any]:
        answer = client.users_info(user=user)
        found = answer.get("user")
        if not answer.get("ok") or not isinstance(found, dict):
            raise LookupFailed(str(answer.get("error", "no user")))
        return found

    return users_info


def admins_for(settings: Settings, clock: Clock) -> Admins:
    return Admins(settings.admins, slack_lookup(settings), clock)
