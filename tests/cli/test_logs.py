"""Logs of a real `imgmetrics tick`: IMGMETRICS_LOG_FORMAT=json gives one JSON object per line
with time, level, logger, message and the ids of what it is about; IMGMETRICS_LOG_LEVEL is
honoured by every command; no secret is ever written, even at DEBUG."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from revenium.sandbox.server import serve
from storage import alerts as A
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, empty
from tests.fakes.slack import FakeSlack
from tests.support.serving import BOT_TOKEN, ROOT
from tests.support.world import CHANNEL, T0, per_minute, spend_rule

H = timedelta(hours=1)
AT = (T0 + timedelta(minutes=5)).isoformat()  # the rule's second breach: it fires


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_channel(CHANNEL, "finops")
        yield fake


@pytest.fixture
def env(tmp_path: Path, slack: FakeSlack) -> Iterator[dict[str, str]]:
    box = empty()
    box.add_records(per_minute(T0 - H, T0 + H, 2.0))
    db = open_db(tmp_path / "state.db")
    A.add_rule(db, spend_rule(for_count=1), T0 - H)
    db.close()
    with serve(box) as server:
        yield {
            "PATH": "/usr/bin:/bin",
            "REVENIUM_API_URL": server.url,
            "REVENIUM_API_KEY": KEY,
            "REVENIUM_TEAM_ID": TEAM,
            "IMGMETRICS_DB": str(tmp_path / "state.db"),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_URL": slack.url,
        }


def tick(env: dict[str, str], **extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot.cli", "tick", "--now", AT]
    done = subprocess.run(
        command, check=False, cwd=ROOT, env={**env, **extra}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done


def test_json_logs_are_one_object_a_line_with_the_ids_of_what_they_are_about(
    env: dict[str, str], slack: FakeSlack
) -> None:
    slack.fail_next("chat.postMessage", "internal_error", status=500)
    done = tick(env, IMGMETRICS_LOG_FORMAT="json", IMGMETRICS_LOG_LEVEL="DEBUG")
    logged = [json.loads(line) for line in done.stderr.splitlines()]  # every line is one object
    assert logged
    assert all({"time", "level", "logger", "message"} <= set(line) for line in logged)
    retry = next(line for line in logged if line["message"].startswith("outbox row"))
    assert retry["level"] == "INFO" and retry["logger"] == "bot.alerts.dispatcher"
    assert retry["outbox"] == 1 and retry["rule"] == "runaway"
    assert any(line["logger"].startswith("httpcore") for line in logged)  # DEBUG: headers too
    for secret in (KEY, BOT_TOKEN):
        assert secret not in done.stderr


def test_every_command_honours_the_log_level(env: dict[str, str], slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "internal_error", status=500)
    assert "outbox row 1 failed" not in tick(env, IMGMETRICS_LOG_LEVEL="WARNING").stderr
    slack.fail_next("chat.postMessage", "internal_error", status=500)
    text = tick(env, IMGMETRICS_LOG_LEVEL="INFO").stderr
    assert " INFO bot.alerts.dispatcher outbox row 1 failed (Slack chat_postMessage" in text


def test_a_log_format_that_does_not_exist_is_refused(env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "bot.cli", "tick"]
    done = subprocess.run(
        command,
        check=False,
        cwd=ROOT,
        env={**env, "IMGMETRICS_LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "IMGMETRICS_LOG_FORMAT `xml`: use text or json" in done.stderr
