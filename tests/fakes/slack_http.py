"""The fake Slack's HTTP side: a threaded loopback server and Slack-style request parsing.

Each request becomes (verb, path, headers, body) for an `Answerer`; its `Answer` is
written back as JSON, or None drops the connection unanswered (a lost reply).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.slack_state import JSON


@dataclass(frozen=True)
class Answer:
    status: int
    body: JSON
    headers: tuple[tuple[str, str], ...] = ()


Answerer = Callable[[str, str, dict[str, str], bytes], Answer | None]


def bearer(headers: dict[str, str]) -> str | None:
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    return auth.removeprefix("Bearer ").strip() or None


def parse_params(query: str, headers: dict[str, str], body: bytes) -> JSON:
    """Query string, then the form or JSON body, the way Slack accepts either."""
    params: JSON = dict(parse_qsl(query, keep_blank_values=True))
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if ctype.split(";")[0].strip().lower() == "application/json":
        try:
            parsed: Any = json.loads(body or b"{}")
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return {"__invalid_json__": True}
        params.update(parsed)
    elif body:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1, on a free port, handing requests to `answer`."""

    daemon_threads = True

    def __init__(self, answer: Answerer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, verb: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.answer(verb, self.path, dict(self.headers.items()), body)
        if answer is None:
            self.close_connection = True
            return
        data = json.dumps(answer.body).encode()
        self.send_response_only(answer.status)  # FakeSlack sends its own Date
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read calls from FakeSlack.calls(), not from stderr."""
