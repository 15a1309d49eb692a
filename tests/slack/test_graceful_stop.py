"""SIGTERM to a real `imgmetrics serve` (HTTP and Socket Mode) while an answer or a scheduler
post is in flight: the answer arrives, the process exits 0 within its grace, and a `tick`
right after takes the lease at once and sends what the pass left, nothing twice.

The fake Slack holds the answer or the post for a moment (`delays`); the test signals
when the fake has seen the request arrive, never after a fixed sleep.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from revenium.sandbox.server import SandboxServer
from storage import alerts as A
from storage import outbox as O
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM
from tests.fakes.signing import SECRET, signed_headers, slash_command_body
from tests.fakes.slack import FakeSlack
from tests.fakes.socket_mode import FakeSocketMode
from tests.support.serving import ROOT, START_TIMEOUT_S, free_port, serve_env
from tests.support.world import CHANNEL, spend_rule

pytestmark = pytest.mark.slow
APP_TOKEN = "xapp-test"
HOLD_S = 1.5  # how long the fake Slack holds the answer or post in flight
GRACE_S = 10.0
MODES = ["http", "socket"]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(app_token=APP_TOKEN) as fake:
        fake.add_user("U1", "alice")
        fake.add_channel("C1", "general")
        fake.add_channel(CHANNEL, "finops")
        yield fake


class Serve:
    """One `serve` process in either mode, with a way in for slash commands."""

    def __init__(
        self, mode: str, env: dict[str, str], log: Path, slack: FakeSlack, stack: ExitStack
    ) -> None:
        self.mode, self.log, self.slack = mode, log, slack
        self.port = free_port()
        args = ["--socket", "--health-port", str(self.port)] if mode == "socket" else []
        command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(self.port), *args]
        self.socket = stack.enter_context(FakeSocketMode(slack)) if mode == "socket" else None
        with log.open("wb") as sink:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
        stack.callback(self._kill)
        self.http = stack.enter_context(httpx.Client(trust_env=False, timeout=10))
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.http.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                    if self.socket is not None:
                        self.socket.wait_connected(alive=lambda: self.process.poll() is None)
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"serve did not start: {self.log.read_text(errors='replace')}")

    def command(self, text: str, response_id: str) -> None:
        url = self.slack.response_url(response_id, channel="C1", user="U1")
        if self.socket is not None:
            self.socket.wait_ack(self.socket.slash_command(text, "U1", "C1", url), timeout=3)
            return
        body = slash_command_body(text, "U1", "C1", url)
        headers = signed_headers(body, SECRET, int(time.time()))
        answer = self.http.post(
            f"http://127.0.0.1:{self.port}/slack/events", content=body, headers=headers
        )
        assert answer.status_code == 200

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=GRACE_S + 5)
        return code, time.monotonic() - started

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def _kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def serving(mode: str, live_api: SandboxServer, slack: FakeSlack, tmp: Path) -> Iterator[Serve]:
    env = serve_env(live_api, slack, KEY, TEAM, tmp / "imgmetrics.db", SLACK_APP_TOKEN=APP_TOKEN)
    with ExitStack() as stack:
        yield Serve(mode, env, tmp / "serve.log", slack, stack)


def tick(live_api: SandboxServer, slack: FakeSlack, tmp: Path) -> str:
    env = serve_env(live_api, slack, KEY, TEAM, tmp / "imgmetrics.db")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "tick"],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, output
    return output


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_during_an_answer_delivers_it_then_exits_0(
    mode: str, live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.delays["response_url"] = HOLD_S
    with serving(mode, live_api, slack, tmp_path) as served:
        health = f"http://127.0.0.1:{served.port}"  # Socket Mode: --health-port
        assert served.http.get(health + "/readyz").json() == {"ok": True, "problems": []}
        assert "imgmetrics_commands_total" in served.http.get(health + "/metrics").text
        served.command("help", "r1")
        slack.wait_for(lambda: "response_url" in slack.arrived, timeout=10)
        assert slack.responses("r1") == []  # still in flight when the signal lands
        code, took = served.terminate()
        logged = served.logs()
    assert code == 0, logged
    assert took < GRACE_S
    assert slack.responses("r1"), "the answer in progress was lost"
    assert "Traceback" not in logged
    assert "Another imgmetrics process holds the scheduler lease" not in tick(
        live_api, slack, tmp_path
    )


def db_with_rules(folder: Path) -> Path:
    path = folder / "imgmetrics.db"
    db = open_db(path)
    for name in ("runaway", "runaway-too"):
        A.add_rule(db, spend_rule(name, for_count=1), datetime.now(UTC))
    db.close()
    return path


@pytest.mark.parametrize("mode", MODES)
def test_sigterm_during_a_scheduler_post_finishes_it_and_leaves_the_rest_for_the_next_pass(
    mode: str, live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    db_with_rules(tmp_path)
    slack.delays["chat.postMessage"] = HOLD_S
    with serving(mode, live_api, slack, tmp_path) as served:
        slack.wait_for(lambda: "chat.postMessage" in slack.arrived, timeout=20)
        code, took = served.terminate()
        logged = served.logs()
    assert code == 0, logged
    assert took < GRACE_S
    assert "Traceback" not in logged
    posted = slack.messages(CHANNEL)
    assert len(posted) == 1  # the post in flight landed; the second waited its pace

    slack.delays.clear()
    assert "Another imgmetrics process" not in tick(live_api, slack, tmp_path)  # the lease is free
    texts = sorted(m["text"].split(" — ")[0] for m in slack.messages(CHANNEL))
    assert texts == ["🔴 runaway", "🔴 runaway-too"]  # each alert once, none lost
    db = open_db(tmp_path / "imgmetrics.db")
    assert O.backlog(db) == (0, None)
    db.close()
