"""Asking Slack who the workspace admins are: users.info, through the lookup client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.commands.admins import Admins, UserInfo
from bot.config import Settings
from bot.errors import LookupFailed
from bot.slack.clients import web_client
from revenium.clock import Clock


def slack_lookup(settings: Settings) -> UserInfo | None:
    """users.info through the Web API at SLACK_API_URL; None without a bot token."""
    if not settings.slack_bot_token:
        return None
    client = web_client(settings, "lookup")

    def users_info(user: str) -> Mapping[str, Any]:
        answer = client.users_info(user=user)
        found = answer.get("user")
        if not answer.get("ok") or not isinstance(found, dict):
            raise LookupFailed(str(answer.get("error", "no user")))
        return found

    return users_info


def admins_for(settings: Settings, clock: Clock) -> Admins:
    return Admins(settings.admins, slack_lookup(settings), clock)
