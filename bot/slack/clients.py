"""Every Slack WebClient, built in one place: Slack's base URL and the bot token from
settings, and the retry policy the caller's job needs.

    answers   Bolt's client (responses, files, views): retries 429s, 5xx and lost connections
    alerts    the notifier's: never retries by itself — a blind retry of a post Slack took
              would post twice, and a 429 is waited out by the dispatcher, in order
    lookup    users.info for the admin check: someone is waiting, and a failed check
              refuses (they may simply ask again), so a short timeout and no retry but
              slack_sdk's default one for a lost connection (a read: safe to repeat)

WebClient keeps its default ConnectionErrorRetryHandler only when given no retry handlers
at all; every list here starts from `default_retry_handlers()` so that none but `alerts`
loses it by adding its own.
"""

from __future__ import annotations

from typing import Literal

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler, default_retry_handlers
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

Purpose = Literal["answers", "alerts", "lookup"]
LOOKUP_TIMEOUT_S = 10


def retry_handlers(purpose: Purpose) -> list[RetryHandler]:
    if purpose == "alerts":
        return []  # the dispatcher decides: it looks a post up before it sends it again
    handlers = default_retry_handlers()  # a lost connection, tried once more
    if purpose == "answers":
        handlers += [
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ]
    return handlers


def web_client(settings: Settings, purpose: Purpose) -> WebClient:
    return WebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=settings.slack_api_url,
        timeout=LOOKUP_TIMEOUT_S if purpose == "lookup" else 30,
        retry_handlers=retry_handlers(purpose),
    )
