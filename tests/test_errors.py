"""Every error becomes what a person reads in one place: message, mark and exit code."""

from __future__ import annotations

import sqlite3

import pytest

from bot.errors import (
    ConfigError,
    DeliveryError,
    Failure,
    NotFound,
    Refusal,
    SlackRateLimited,
    UsageError,
    attempt,
    explain,
)
from revenium.errors import BadKey, Unavailable
from rules.engine import SourceError
from rules.replay import BeyondHistory


@pytest.mark.parametrize(
    ("error", "shown", "code"),
    [
        (UsageError("`cost>x`: needs a number"), "⚠ `cost>x`: needs a number", 2),
        (NotFound("No rule named `x`."), "⚠ No rule named `x`.", 2),
        (
            Refusal("⛔ Only imgmetrics admins can change rules."),
            "⛔ Only imgmetrics admins can change rules.",
            2,
        ),
        (ConfigError("REVENIUM_API_KEY is not set"), "⚠ REVENIUM_API_KEY is not set", 2),
        (
            BeyondHistory("history is kept for the last 35 days"),
            "⚠ history is kept for the last 35 days",
            2,
        ),
        (BadKey("Revenium refused the API key"), "⚠ Revenium: Revenium refused the API key", 1),
        (Unavailable("timed out"), "⚠ Revenium: timed out", 1),
        (
            SourceError("local store: disk I/O error"),
            "⚠ the metrics source failed: local store: disk I/O error",
            1,
        ),
        (sqlite3.OperationalError("database is locked"), "⚠ storage failed: database is locked", 1),
        (
            DeliveryError("Slack chat_postMessage: not_in_channel", "not_in_channel"),
            "⚠ Slack chat_postMessage: not_in_channel",
            1,
        ),
    ],
)
def test_each_error_reads_the_same_everywhere(error: Exception, shown: str, code: int) -> None:
    failure = explain(error)
    assert failure is not None and (failure.shown, failure.exit_code) == (shown, code)


def test_a_bug_is_no_failure_and_is_raised_on() -> None:
    assert explain(KeyError("x")) is None
    with pytest.raises(KeyError):
        attempt(lambda: {}["x"])


def test_attempt_answers_or_fails() -> None:
    assert attempt(lambda: 42) == 42
    failed = attempt(lambda: (_ for _ in ()).throw(sqlite3.OperationalError("disk full")))
    assert isinstance(failed, Failure) and failed.exit_code == 1


def test_a_send_error_says_whether_trying_again_can_help() -> None:
    assert DeliveryError("x", "not_in_channel").retryable
    assert SlackRateLimited(3).retryable and DeliveryError("lost connection").retryable
    assert not DeliveryError("x", "invalid_blocks").retryable
    assert not DeliveryError("x", "msg_too_long").retryable
