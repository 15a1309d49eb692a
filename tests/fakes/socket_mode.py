"""FakeSocketMode: Slack's Socket Mode WebSocket endpoint on 127.0.0.1, for tests.

Greets every client with `hello`, pushes envelopes (slash commands…) to the newest
connection and records the acks clients send back. `apps.connections.open` on a
FakeSlack hands out this server's URL once `FakeSocketMode(fake)` is running.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from itertools import count
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack import FakeSlack

__all__ = ["FakeSocketMode"]

JSON = dict[str, Any]


class FakeSocketMode:
    """`with FakeSocketMode(slack) as socket: socket.wait_connected(); socket.push(...)`."""

    def __init__(self, slack: FakeSlack) -> None:
        self._cond = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, JSON] = {}
        self.received: list[JSON] = []  # every message a client sent, acks included
        self._ids = count(1)
        self._server: Server = serve(self._serve, "127.0.0.1", 0)
        port = self._server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/?ticket=fake-ticket&app_id=A1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        slack.open_socket_mode(self.url)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSocketMode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connections(self) -> int:
        """How many WebSocket clients have connected so far (reconnects count)."""
        with self._cond:
            return len(self._connections)

    def wait_connected(
        self, timeout: float = 10.0, alive: Callable[[], bool] | None = None
    ) -> None:
        """Wait until a client has connected and been greeted; `alive()` false stops early."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._connections:
                left = deadline - time.monotonic()
                if left <= 0 or (alive is not None and not alive()):
                    raise TimeoutError(f"no Socket Mode client connected within {timeout}s")
                self._cond.wait(min(left, 0.05))

    def push(self, kind: str, payload: JSON, *, accepts_response_payload: bool = True) -> str:
        """Send one envelope to the newest connection; returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        with self._cond:
            if not self._connections:
                raise RuntimeError("push: no Socket Mode client is connected")
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def slash_command(self, text: str, user: str, channel: str, response_url: str) -> str:
        """Push `/imgmetrics text` as Slack would; returns the envelope_id."""
        payload = {
            "token": "legacy-verification-token",
            "team_id": "T1",
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": "/imgmetrics",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"trigger-{next(self._ids)}",
        }
        return self.push("slash_commands", payload)

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> JSON:
        """The client's ack of `envelope_id` (`{"envelope_id": …, "payload"?: …}`)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"envelope {envelope_id} not acked within {timeout}s")
                self._cond.wait(left)
            return self._acks[envelope_id]

    def _serve(self, connection: ServerConnection) -> None:
        """One client: greet it, then record what it sends until it goes away."""
        try:
            connection.send(json.dumps(_hello()))
            with self._cond:
                self._connections.append(connection)
                self._cond.notify_all()
            for raw in connection:
                self._record(raw)
        except ConnectionClosed:
            pass  # the client went away (a stopped process); nothing to record

    def _record(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = {"unparsed": str(raw)}
        with self._cond:
            self.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self._acks.setdefault(str(message["envelope_id"]), message)
            self._cond.notify_all()


def _hello() -> JSON:
    return {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A1"},
    }
