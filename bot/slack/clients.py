"""Every Slack WebClient, built in one place: Slack's base URL and the bot token from
settings, and the retry policy the caller's job needs.

    answers   Bolt's client (responses, files, views): retries 429s, 5xx and lost connections
    alerts    the notifier's: never retries by itself — a blind retry of a post Slack took
              would post twice, and a 429 is waited out by the dispatcher, in order
    lookup    users.info for the admin check: someone is waiting, and a failed check
              refuses (they may simply ask again), so no retries and a short timeout
"""

from __future__ import annotations

from typing import Literal

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

Purpose = Literal["answers", "alerts", "lookup"]
LOOKUP_TIMEOUT_S = 10


def web_client(settings: Settings, purpose: Purpose) -> WebClient:
    retries: list[RetryHandler] = []
    if purpose == "answers":
        retries = [
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ]
    return WebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=settings.slack_api_url,
        timeout=LOOKUP_TIMEOUT_S if purpose == "lookup" else 30,
        retry_handlers=retries,
    )
