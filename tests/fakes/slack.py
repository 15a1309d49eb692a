"""FakeSlack: a Slack Web API on 127.0.0.1 for tests, recording what users would see.

Serves `/api/<method>` (slack_methods.py), the upload URLs of `files_upload_v2` and
`response_url` endpoints from a background thread. Faults (429 + Retry-After, 5xx,
dropped connections) and latency are injectable; `wait_for` waits on its events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.utils import formatdate
from functools import cache
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import yaml

from tests.fakes.slack_http import Answer, LoopbackServer, bearer, parse_params
from tests.fakes.slack_methods import METHODS, SCOPES_BY_METHOD
from tests.fakes.slack_request import Request
from tests.fakes.slack_respond import ResponseUrl
from tests.fakes.slack_state import IM, JSON, PRIVATE, PUBLIC, SlackError, User, Workspace

__all__ = ["ALL_SCOPES", "SCOPES_BY_METHOD", "Call", "FakeSlack", "manifest_scopes"]

T = TypeVar("T")
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
ALL_SCOPES = frozenset(scope for scopes in SCOPES_BY_METHOD.values() for scope in scopes)


@cache
def manifest_scopes(path: Path = MANIFEST) -> frozenset[str]:
    """The bot scopes manifest.yml grants: what a real install of this app may use."""
    return frozenset(yaml.safe_load(path.read_text())["oauth_config"]["scopes"]["bot"])


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake saw it (no token, no Authorization header)."""

    method: str
    params: JSON
    headers: dict[str, str]
    status: int
    response: JSON
    scopes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.response.get("ok") is True


@dataclass
class _Fault:
    error: str
    status: int
    retry_after: int
    count: int
    applied: bool  # the call takes effect, then the client is told it failed


class FakeSlack:
    """`with FakeSlack() as fake: WebClient(base_url=fake.url, token="xoxb-test")`.

    Bot scopes default to manifest.yml's, so a call the real app could not make fails
    here with `missing_scope` too; pass `scopes=ALL_SCOPES` to lift that.
    """

    def __init__(
        self,
        *,
        token: str = "xoxb-test",
        app_token: str = "xapp-test",
        scopes: Iterable[str] | None = None,
        auto_channels: bool = True,
        ts_base: int = 1_700_000_000,
    ) -> None:
        self.token = token
        self.app_token = app_token  # only apps.connections.open takes it, as on Slack
        self.scopes = frozenset(manifest_scopes() if scopes is None else scopes)
        self.delay = 0.0  # seconds before every answer
        self.delays: dict[str, float] = {}  # per method; "upload" and "response_url" too
        self.clock_offset = 0.0  # seconds this Slack's Date header is ahead of ours
        self.arrived: list[str] = []  # each request's method (or "upload", "response_url")
        self._ws = Workspace(ts_base=ts_base, auto_channels=auto_channels)
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self.received = 0  # HTTP requests that arrived, answered or not yet
        self._changes = 0  # bumped, with a notify, whenever anything above changes
        self._faults: dict[str, list[_Fault]] = {}
        self._responses: dict[str, ResponseUrl] = {}
        self._closed = threading.Event()
        self._server = LoopbackServer(self.answer)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base + "/api/"
        self._ws.upload_base = self.base + "/upload/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- setting the scene ---------------------------------------------------

    def add_user(
        self, user_id: str, name: str, admin: bool = False, owner: bool = False, tz: str = "UTC"
    ) -> None:
        with self._cond:
            self._ws.users[user_id] = User(user_id, name, admin=admin, owner=owner, tz=tz)

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        private: bool = False,
        member: bool = True,
    ) -> None:
        """A channel; `member=False`: the bot was not invited, so it cannot post or read."""
        kind = IM if channel_id.startswith("D") else PRIVATE if private else PUBLIC
        with self._cond:
            self._ws.add_channel(channel_id, name or channel_id.lower(), kind=kind, member=member)

    def open_socket_mode(self, url: str) -> None:
        """apps.connections.open answers `url` from now on (FakeSocketMode calls this)."""
        with self._cond:
            self._ws.socket_url = url

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        count: int = 1,
        retry_after: int = 1,
        status: int | None = None,
        applied: bool = False,
    ) -> None:
        """The next `count` calls of `method` fail: 429 + Retry-After for "ratelimited",
        else HTTP `status` (default 200) with `{"ok": false, "error": error}`;
        error="disconnect" closes the connection unanswered. `applied`: the call still
        takes effect (Slack took the post, the client never heard). `method` may also be
        "upload" or "response_url"."""
        if method not in METHODS and method not in ("upload", "response_url"):
            raise ValueError(f"fail_next: FakeSlack has no method {method!r}")
        code = status if status is not None else (429 if error == "ratelimited" else 200)
        with self._cond:
            queue = self._faults.setdefault(method, [])
            queue.append(_Fault(error, code, retry_after, count, applied))

    def response_url(
        self,
        response_id: str,
        *,
        channel: str | None = None,
        user: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url on the fake; with `channel`, posts to it change what users see."""
        with self._cond:
            self._responses[response_id] = ResponseUrl(channel, user, message_ts)
        return f"{self.base}/respond/{response_id}"

    # -- what happened -------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def scopes_used(self) -> set[str]:
        """Every scope the calls so far needed (including any that was missing)."""
        with self._cond:
            return {scope for call in self._calls for scope in call.scopes}

    def messages(self, channel: str) -> list[JSON]:
        """The channel as users see it now, oldest first, thread replies included."""
        with self._cond:
            return [m.seen() for m in self._ws.messages.get(channel, [])]

    def message(self, channel: str, ts: str) -> JSON:
        with self._cond:
            return self._ws.find(channel, ts).seen()

    def ephemerals(self, channel: str) -> list[JSON]:
        with self._cond:
            return [dict(e) for e in self._ws.ephemerals.get(channel, [])]

    def responses(self, response_id: str) -> list[JSON]:
        with self._cond:
            found = self._responses.get(response_id)
            return list(found.posts) if found else []

    def files(self) -> list[JSON]:
        """Uploads completed so far, with their bytes."""
        with self._cond:
            done = [u for u in self._ws.uploads.values() if u.completed]
            return [u.api() | {"data": u.data, "thread_ts": u.thread_ts} for u in done]

    def home_view(self, user: str) -> JSON | None:
        with self._cond:
            return self._ws.home_views.get(user)

    def opened_views(self) -> list[JSON]:
        with self._cond:
            return list(self._ws.opened_views)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Return predicate()'s value once truthy, re-checked at each change (or 50 ms).

        The predicate runs without the fake's lock, so it may read anything, even the
        fake over HTTP; raises TimeoutError naming the last calls seen."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                changes = self._changes
            if value := predicate():
                return value
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [c.method for c in self.calls()[-20:]]
                raise TimeoutError(f"condition still false after {timeout}s; calls: {seen}")
            with self._cond:
                if self._changes == changes:
                    self._cond.wait(min(left, 0.05))

    # -- serving -------------------------------------------------------------

    def answer(self, verb: str, path: str, headers: dict[str, str], body: bytes) -> Answer | None:
        """Route one HTTP request; None means: drop the connection without an answer."""
        parts = urlsplit(path)
        kind, _, name = parts.path.lstrip("/").partition("/")
        key = {"api": name, "upload": "upload", "respond": "response_url"}.get(kind, "")
        with self._cond:
            self.received += 1
            self.arrived.append(key)
            self._changed()
        self._closed.wait(self.delay + self.delays.get(key, 0.0))
        if kind == "api":
            answer = self._api(name, parts.query, headers, body)
        elif kind in ("upload", "respond") and verb == "POST":
            answer = self._effect(key, lambda: self._file_or_response(kind, name, body))
        else:
            answer = Answer(404, {"ok": False, "error": "not_found"})
        date = ("Date", formatdate(time.time() + self.clock_offset, usegmt=True))
        return None if answer is None else replace(answer, headers=(*answer.headers, date))

    def _api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> Answer | None:
        params = parse_params(query, headers, body)
        form_token = params.pop("token", None)  # Slack takes a token field too; never record it
        token = bearer(headers) or (str(form_token) if form_token else None)
        scopes: list[str] = []
        with self._cond:
            fault = self._take_fault(method)
            answer: Answer | None = None
            if fault is None or fault.applied:
                answer, scopes = self._run(method, params, token)
            if fault is not None:
                answer = _fault_answer(fault)
            response = answer.body if answer else {"ok": False, "error": "disconnect"}
            shown = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            status = answer.status if answer else 0
            self._calls.append(Call(method, params, shown, status, response, tuple(scopes)))
            self._changed()
        return answer

    def _run(self, method: str, params: JSON, token: str | None) -> tuple[Answer, list[str]]:
        req = Request(self._ws, params, self.scopes)
        try:
            if params.pop("__invalid_json__", None):
                raise SlackError("invalid_json")
            if token is None:
                raise SlackError("not_authed")
            wanted = self.app_token if method in APP_TOKEN_METHODS else self.token
            if token != wanted:
                known = token in (self.token, self.app_token)
                raise SlackError("not_allowed_token_type" if known else "invalid_auth")
            if method not in METHODS:
                raise SlackError("unknown_method")
            # Slack names the token's scopes on every call; doctor reads them off auth.test.
            granted = (("x-oauth-scopes", ",".join(sorted(self.scopes))),)
            return Answer(200, METHODS[method](req), granted), req.scopes
        except SlackError as err:
            return Answer(200, err.body()), req.scopes

    def _effect(self, key: str, act: Callable[[], Answer]) -> Answer | None:
        with self._cond:
            fault = self._take_fault(key)
            answer = act() if fault is None or fault.applied else None
            self._changed()
            return answer if fault is None else _fault_answer(fault)

    def _file_or_response(self, kind: str, name: str, body: bytes) -> Answer:
        if kind == "upload":
            upload = self._ws.uploads.get(name)
            if upload is None:
                return Answer(404, {"ok": False, "error": "file_not_found"})
            upload.data = body
            return Answer(200, {"ok": True, "size": len(body)})
        target = self._responses.setdefault(name, ResponseUrl(None, None, None))
        status, answer = target.post(self._ws, body)
        return Answer(status, answer)

    def _changed(self) -> None:
        self._changes += 1
        self._cond.notify_all()

    def _take_fault(self, key: str) -> _Fault | None:
        queue = self._faults.get(key)
        if not queue:
            return None
        fault = queue[0]
        fault.count -= 1
        if fault.count <= 0:
            queue.pop(0)
        return fault


def _fault_answer(fault: _Fault) -> Answer | None:
    if fault.error == "disconnect":
        return None
    retry = (("Retry-After", str(fault.retry_after)),) if fault.status == 429 else ()
    return Answer(fault.status, {"ok": False, "error": fault.error}, retry)
