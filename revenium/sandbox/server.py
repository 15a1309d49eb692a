"""The sandbox on a loopback port: each HTTP request becomes an httpx.Request for `handle`.

`serve` runs it in a daemon thread (a context manager); `run` is the blocking
form behind `imgmetrics sandbox`. Quiet: no request lines on stderr.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from revenium.clock import SystemClock
from revenium.sandbox.core import PREFIX, Sandbox
from revenium.sandbox.spring import error_body, json_response

log = logging.getLogger(__name__)
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so paging clients reuse connections
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or self.server.authority
        request = httpx.Request(
            self.command,
            f"http://{host}{self.path}",
            headers=[(k, v) for k, v in self.headers.items() if k.lower() != "host"],
            content=body,
        )
        try:
            response = self.server.sandbox.handle(request)
        except Exception:  # a sandbox bug: answer 500 as a server would, and say why in the log
            log.exception("sandbox failed on %s %s", self.command, request.url.path)
            response = json_response(500, error_body(500, "", request.url.path, 0.0))
        content = response.read()
        self.send_response_only(response.status_code)  # the sandbox sends its own Date
        for name, value in response.headers.multi_items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent: tests and the CLI do not want a line per request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: Sandbox
    authority: str  # host:port, for requests without a Host header

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer (a timeout test) is not worth a traceback."""


class SandboxServer:
    """A running sandbox server; `.url` is what REVENIUM_API_URL should be."""

    def __init__(self, sandbox: Sandbox, host: str, port: int) -> None:
        self.sandbox = sandbox
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = sandbox
        self.host = host
        self.port = int(self._httpd.server_address[1])
        self._httpd.authority = f"{host}:{self.port}"
        self.url = f"http://{host}:{self.port}{PREFIX}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve `sandbox` on host:port (0 picks a free port) until `.close()`."""
    return SandboxServer(sandbox, host, port)


def run(
    *,
    host: str,
    port: int,
    seed: int,
    days: int,
    per_day: int,
    api_key: str,
    team_id: str,
    end: datetime | None = None,
    stop: threading.Event | None = None,
    latency_ms: float = 0.0,
) -> None:
    """Generate, serve and block until interrupted (or `stop` is set); prints how to connect."""
    end = end or SystemClock().now()
    box = Sandbox.seeded(
        seed=seed,
        days=days,
        per_day=per_day,
        end=end,
        api_key=api_key,
        team_id=team_id,
        latency_ms=latency_ms,
    )
    with serve(box, host, port) as server:
        box.serve_at(server.url)
        print(f"Revenium sandbox: {box.count():,} records up to {end.isoformat()}", flush=True)
        print(f"REVENIUM_API_URL={server.url}", flush=True)
        print(f"REVENIUM_API_KEY={api_key}", flush=True)
        print(f"REVENIUM_TEAM_ID={team_id}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
