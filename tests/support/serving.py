"""`imgmetrics serve` in a real subprocess, between a loopback sandbox and the fake Slack.

Requests are signed exactly as Slack signs them; answers are read where users would
see them: the fake's response_url posts, channels and files.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from revenium.sandbox.server import SandboxServer
from tests.fakes.signing import SECRET, signed_headers
from tests.fakes.slack import FakeSlack

BOT_TOKEN = "xoxb-test"
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20.0
MODULE = (sys.executable, "-m", "bot.cli")  # `imgmetrics`, without the console script


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    http: httpx.Client
    log: Path  # the process's stdout and stderr

    def logs(self) -> str:
        return self.log.read_text(errors="replace")

    def post(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        secret: str = SECRET,
        content_type: str | None = None,
    ) -> httpx.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = signed_headers(body, secret, ts)
        if content_type:
            headers["Content-Type"] = content_type
        return self.http.post(self.url + "/slack/events", content=body, headers=headers)


def serve_env(
    sandbox: SandboxServer, slack: FakeSlack, key: str, team: str, db: Path, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url,
            "REVENIUM_API_URL": sandbox.url,
            "REVENIUM_API_KEY": key,
            "REVENIUM_TEAM_ID": team,
            "IMGMETRICS_DB": str(db),
            "IMGMETRICS_TZ": "UTC",
            **extra,
        }
    )
    return env


@contextmanager
def serving(
    env: dict[str, str], *args: str, log: Path, program: Sequence[str] = MODULE
) -> Iterator[Served]:
    """`program serve --port P ARGS…` on a free port P, until the block ends."""
    port = free_port()
    command = [*program, "serve", "--port", str(port), *args]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    http = httpx.Client(trust_env=False, timeout=10)
    try:
        _wait_healthy(http, url, process, log)
        yield Served(url, process, http, log)
    finally:
        http.close()
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(
    http: httpx.Client, url: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Readiness, bounded in time: the server answers /healthz or the test fails."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"serve exited {process.returncode}: {tail}")
        try:
            if http.get(url + "/healthz").json() == {"ok": True}:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError("serve did not become healthy")


def blocks_text(post: dict[str, Any]) -> str:
    """Everything a reader sees in a posted message: top-level text and all block text."""
    parts = [post.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(post.get("blocks", []))
    return "\n".join(parts)
