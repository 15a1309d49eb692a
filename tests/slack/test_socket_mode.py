"""Socket Mode end to end: `imgmetrics serve --socket` against a fake Slack WebSocket.

The sandbox, the fake Web API and the fake Socket Mode endpoint run here on loopback;
`serve --socket` runs in its own process. Ready means: it opened the WebSocket.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.render import fmt
from revenium.figures import summarize
from revenium.records import parse_time
from revenium.sandbox.core import Sandbox
from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import KEY, TEAM, seeded
from tests.fakes.signing import SECRET
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.support.serving import BOT_TOKEN, ROOT, blocks_text, serve_env, stop

APP_TOKEN = "xapp-test"
END = datetime(2026, 11, 20, tzinfo=UTC)
START, STOP = datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = seeded(end=END, seed=11, days=8, per_day=120, rate_per_s=10_000)
    yield sandbox
    sandbox.close()


@pytest.fixture
def api(box: Sandbox) -> Iterator[SandboxServer]:
    with serve(box) as running:
        yield running


def test_slash_command_over_socket_mode_is_acked_and_answered(
    box: Sandbox, api: SandboxServer, tmp_path: Path
) -> None:
    with FakeSlack(app_token=APP_TOKEN) as slack, FakeSocketMode(slack) as socket:
        slack.add_user("U1", "alice")
        slack.add_channel("C1", "general")
        env = serve_env(
            api,
            slack,
            KEY,
            TEAM,
            tmp_path / "db.sqlite",
            SLACK_APP_TOKEN=APP_TOKEN,
            IMGMETRICS_LOG_LEVEL="DEBUG",
        )
        log = tmp_path / "serve.log"
        command = [sys.executable, "-m", "bot.cli", "serve", "--socket", "--no-scheduler"]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        try:
            try:
                socket.wait_connected(timeout=15, alive=lambda: process.poll() is None)
            except TimeoutError as e:
                raise AssertionError(log.read_text(errors="replace")[-2000:]) from e
            url = slack.response_url("sock1", channel="C1", user="U1")
            envelope = socket.slash_command(
                "summary from 2026-11-15 to 2026-11-17", "U1", "C1", url
            )
            assert socket.wait_ack(envelope, timeout=3.0)["envelope_id"] == envelope
            post = slack.wait_for(lambda: slack.responses("sock1"), timeout=10)[0]
        finally:
            stop(process)
        logged = log.read_text(errors="replace")

    opened = slack.calls("apps.connections.open")
    assert opened and opened[0].ok
    s = summarize(r for r in box.records() if START <= parse_time(r["requestTime"]) < STOP)
    assert s.requests > 0
    text = blocks_text(post).replace("*", "")
    assert (
        f"{fmt.money(s.cost)} spent · {fmt.count(s.images)} images · "
        f"{fmt.count(s.requests)} requests" in text
    )
    assert "Nov 15 00:00 → Nov 18 00:00 UTC" in text
    assert "DEBUG" in logged  # the check below read a verbose log
    for secret in (KEY, SECRET, BOT_TOKEN, APP_TOKEN):
        assert secret not in logged


def test_connections_open_takes_only_the_app_level_token() -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    with FakeSlack(app_token=APP_TOKEN) as slack:
        client = WebClient(base_url=slack.url)
        with pytest.raises(SlackApiError, match="no_socket_mode_server"):
            client.apps_connections_open(app_token=APP_TOKEN)
        with FakeSocketMode(slack) as socket:
            assert client.apps_connections_open(app_token=APP_TOKEN)["url"] == socket.url
            with pytest.raises(SlackApiError, match="not_allowed_token_type"):
                client.apps_connections_open(app_token=BOT_TOKEN)
            with pytest.raises(SlackApiError, match="not_allowed_token_type"):
                WebClient(base_url=slack.url, token=APP_TOKEN).auth_test()


@pytest.mark.parametrize("given", ["xapp-not-this-app", BOT_TOKEN])
def test_a_refused_app_token_is_a_clear_exit_2(
    api: SandboxServer, tmp_path: Path, given: str
) -> None:
    with FakeSlack(app_token=APP_TOKEN) as slack, FakeSocketMode(slack) as socket:
        env = serve_env(api, slack, KEY, TEAM, tmp_path / "db.sqlite", SLACK_APP_TOKEN=given)
        command = [sys.executable, "-m", "bot.cli", "serve", "--socket", "--no-scheduler"]
        done = subprocess.run(
            command, check=False, cwd=ROOT, env=env, capture_output=True, timeout=20
        )
        assert socket.connections == 0
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 2, output
    assert "Slack refused SLACK_APP_TOKEN" in output
    assert "Traceback" not in output
    assert given not in output and KEY not in output
