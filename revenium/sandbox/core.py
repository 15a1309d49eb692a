"""The sandbox API: `Sandbox.handle(httpx.Request) -> httpx.Response` over its SQLite table.

Routes, key and team checks, the rate ceiling, injected faults, HAL paging and
the request log live here; parameter checking lives in `selection.py`, error
bodies in `spring.py`, the data in `seed.py`.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import random
import re
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote, urlencode

import httpx

from revenium import params as P
from revenium.records import Record
from revenium.sandbox import schema, selection
from revenium.sandbox.limits import Allowance, Fault, Faults, TokenBucket
from revenium.sandbox.seed import add_records, generate, replace_records
from revenium.sandbox.spring import JSON, ApiError, error_response, json_response

PREFIX = "/profitstream"
LIST_PATH = "/v2/api/sources/metrics/ai/images"
ME_PATH = "/v2/api/users/me"
HAL = "application/hal+json"
EMBEDDED = "aIImageMetricResourceList"
MAX_PAGE_SIZE = 1000
JITTER = 0.2  # a held response waits latency × (1 ± up to this), uniformly
HASHID = re.compile(r"[0-9A-Za-z]{4,64}")
_LOG_LENGTH = 500  # query strings and unknown names kept for tests to inspect
_COUNT_CACHE = 512

log = logging.getLogger(__name__)


class Sandbox:
    def __init__(
        self,
        db_path: str | None,
        *,
        api_key: str,
        team_id: str,
        rate_per_s: float = 100,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_page_size: int = MAX_PAGE_SIZE,
        latency_ms: float = 0.0,
        jitter: float = JITTER,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not HASHID.fullmatch(team_id):
            raise ValueError("team_id must look like a hashid (4-64 letters and digits)")
        if latency_ms < 0 or not 0 <= jitter < 1:
            raise ValueError("latency_ms must be >= 0 and jitter in [0, 1)")
        self._key = api_key
        self.team_id = team_id
        self.max_page_size = max_page_size
        self.latency_ms, self.jitter, self._rng = latency_ms, jitter, rng
        self._wall, self._sleep = wall, sleep
        self._db_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._conn = sqlite3.connect(
            db_path or ":memory:", check_same_thread=False, isolation_level=None
        )
        for pragma in ("synchronous=OFF", "journal_mode=MEMORY", "temp_store=MEMORY"):
            self._conn.execute(f"PRAGMA {pragma}")
        schema.create(self._conn)
        self._counts: dict[tuple[str, tuple[Any, ...]], int] = {}
        self._href: str | None = None  # the self links stored in the records' JSON
        self._bucket = TokenBucket(rate_per_s, monotonic=monotonic, wall=wall)
        self._faults = Faults()
        self._requests = 0
        self.unknown_params: list[str] = []
        self.queries: deque[str] = deque(maxlen=_LOG_LENGTH)

    @classmethod
    def seeded(
        cls,
        *,
        seed: int,
        days: int,
        per_day: int,
        end: datetime,
        db_path: str | None = None,
        **options: Any,
    ) -> Sandbox:
        """A sandbox over freshly generated records (see `seed.generate`)."""
        box = cls(db_path, **options)
        with box._db_lock:
            generate(box._conn, seed=seed, days=days, per_day=per_day, end=end)
        return box

    def __repr__(self) -> str:  # never the key
        return f"Sandbox(team_id={self.team_id!r}, records={self.count()})"

    # -- data -------------------------------------------------------------

    def add_records(self, records: Iterable[Record]) -> int:
        """New records, listed from now on whatever their requestTime (a late one is old)."""
        with self._db_lock:
            added = add_records(self._conn, records)
            self._changed()
        return added

    def replace_records(self, records: Iterable[Record]) -> int:
        """Records that come back changed: each replaces the stored record with its id."""
        with self._db_lock:
            replaced = replace_records(self._conn, records)
            self._changed()
        return replaced

    def _changed(self) -> None:
        self._counts.clear()
        if self._href is not None:
            schema.link(self._conn, self._href, every=False)

    def serve_at(self, base_url: str) -> None:
        """Prepare pages for clients of `base_url` (REVENIUM_API_URL), before the first asks."""
        with self._db_lock:
            self._linked(base_url + LIST_PATH + "/")

    def _linked(self, href: str) -> None:
        if href != self._href:  # another host name: every stored link changes once
            schema.link(self._conn, href, every=True)
            self._href = href

    def count(self) -> int:
        with self._db_lock:
            return int(self._conn.execute(f"SELECT COUNT(*) FROM {schema.TABLE}").fetchone()[0])

    def records(self, href: str = PREFIX + LIST_PATH + "/") -> list[Record]:
        """Every record as the API would answer it, in insertion order (for tests)."""
        sql = f"SELECT {schema.RECORD_JSON} FROM {schema.TABLE} ORDER BY rowid"
        with self._db_lock:
            return [json.loads(text) for (text,) in self._conn.execute(sql, (href,))]

    # -- test knobs -------------------------------------------------------

    @property
    def requests(self) -> int:
        with self._state_lock:
            return self._requests

    def inject(self, kind: str, count: int = 1, *, delay_s: float = 0.0) -> None:
        """The next `count` list/get requests answer 429, 503, slowly, or with a broken body."""
        with self._state_lock:
            self._faults.inject(kind, count, delay_s=delay_s)

    @property
    def faults_pending(self) -> int:
        """Injected faults no request has taken yet."""
        with self._state_lock:
            return len(self._faults)

    def close(self) -> None:
        with self._db_lock:
            self._conn.close()

    # -- the API ----------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self._state_lock:
            self._requests += 1
            self.queries.append(request.url.query.decode("ascii", "replace"))
        allowance: Allowance | None = None
        try:
            route, prefix, ident = _route(request.method, path)
            if not _same(request.headers.get("x-api-key", ""), self._key):
                raise ApiError(403)
            with self._state_lock:
                allowance = self._bucket.take()
                fault = self._faults.take() if route != "me" and allowance.allowed else None
            if not allowance.allowed:
                raise ApiError(429, "Rate limit exceeded", allowance.headers())
            response = self._faulty(fault, request, route, prefix, ident)
        except ApiError as error:
            response = error_response(error, path, self._wall())
        if allowance is None:
            with self._state_lock:
                allowance = self._bucket.peek()
        for name, value in allowance.headers().items():
            response.headers.setdefault(name, value)
        response.headers["Date"] = formatdate(self._wall(), usegmt=True)  # the sandbox's clock
        if self.latency_ms:
            self._sleep(self.hold_s())  # no lock held: answers in flight wait side by side
        return response

    def hold_s(self) -> float:
        """How long the next answer is held: latency_ms, give or take the jitter."""
        return self.latency_ms / 1000 * (1 + self.jitter * (2 * self._rng() - 1))

    def _faulty(
        self, fault: Fault | None, request: httpx.Request, route: str, prefix: str, ident: str
    ) -> httpx.Response:
        if fault is not None and fault.kind == "429":
            limited = {"Retry-After": "1", "X-RateLimit-Limited-Reason": "bucket-rate"}
            raise ApiError(429, "Rate limit exceeded", limited)
        if fault is not None and fault.kind == "5xx":
            raise ApiError(503, "Service temporarily unavailable")
        if fault is not None and fault.kind == "slow":
            self._sleep(fault.delay_s)
        response = self._dispatch(request, route, prefix, ident)
        if fault is not None and fault.kind == "malformed":
            body = response.content
            return httpx.Response(
                200, content=body[: len(body) // 2] or b"{", headers={"Content-Type": JSON}
            )
        return response

    def _dispatch(
        self, request: httpx.Request, route: str, prefix: str, ident: str
    ) -> httpx.Response:
        items = request.url.params.multi_items()
        known = {p.name for p in P.PARAMS} if route == "list" else {P.TEAM_ID}
        self._note_unknown([name for name, _ in items if name not in known], request.url.path)
        if route == "me":
            return json_response(200, self._me())
        self._check_team(selection.first_values(items).get(P.TEAM_ID))
        base = str(request.url.copy_with(path=prefix + LIST_PATH, query=None))
        if route == "one":
            return self._one(ident, base)
        content_type = HAL if HAL in request.headers.get("accept", "") else JSON
        return json_response(200, self._page(items, base), content_type=content_type)

    def _note_unknown(self, names: list[str], path: str) -> None:
        for name in names:
            log.warning("sandbox ignored unknown query parameter %r on %s", name, path)
        with self._state_lock:
            room = _LOG_LENGTH - len(self.unknown_params)
            self.unknown_params.extend(names[: max(room, 0)])

    def _check_team(self, team: str | None) -> None:
        if team is None:
            raise ApiError(
                400,
                f"Required request parameter '{P.TEAM_ID}' for method "
                "parameter type String is not present",
            )
        if not HASHID.fullmatch(team):
            raise ApiError(400, f"Failed to decode hashed Id: {team}")
        if team != self.team_id:
            raise ApiError(403, "Access Denied")

    def _me(self) -> dict[str, Any]:
        return {
            "id": "sandbox-user",
            "email": "sandbox@revenium.example",
            "tenantId": "sandbox-tenant",
            "teams": [{"id": self.team_id, "label": "Sandbox team"}],
            "defaultTeamId": self.team_id,
        }

    def _one(self, ident: str, base: str) -> httpx.Response:
        sql = f"SELECT {schema.RECORD_JSON} FROM {schema.TABLE} WHERE {schema.quote(schema.ID)} = ?"
        with self._db_lock:
            row = self._conn.execute(sql, (base + "/", ident)).fetchone()
        if row is None:
            raise ApiError(404, f"AI image metric not found: {ident}")
        return json_response(200, row[0])

    def _page(self, items: list[tuple[str, str]], base: str) -> str:
        sel = selection.select(items, max_size=self.max_page_size)
        # Each record's whole JSON is stored text: a page computes nothing per record.
        sql = f"SELECT {schema.LINKED} FROM {schema.TABLE} {sel.where} {sel.order} LIMIT ? OFFSET ?"
        with self._db_lock:
            self._linked(base + "/")
            total = self._total(sel)
            args = (*sel.args, sel.size, sel.page * sel.size)
            records = ",".join(text for (text,) in self._conn.execute(sql, args))
        pages = math.ceil(total / sel.size)
        page = {"size": sel.size, "totalElements": total, "totalPages": pages, "number": sel.page}
        links = _links(base, items, sel.page, sel.size, pages)
        embedded = f'"_embedded":{{"{EMBEDDED}":[{records}]}},' if records else ""
        return f'{{{embedded}"_links":{_dumps(links)},"page":{_dumps(page)}}}'

    def _total(self, sel: selection.Selection) -> int:
        """COUNT(*) of a selection, remembered until the data changes (paging repeats it)."""
        key = (sel.where, sel.args)
        if key not in self._counts:
            if len(self._counts) >= _COUNT_CACHE:
                self._counts.clear()
            sql = f"SELECT COUNT(*) FROM {schema.TABLE} {sel.where}"
            self._counts[key] = int(self._conn.execute(sql, sel.args).fetchone()[0])
        return self._counts[key]


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _route(method: str, path: str) -> tuple[str, str, str]:
    """(route, prefix, record id) for a path with or without the /profitstream prefix."""
    prefix = PREFIX if path.startswith(PREFIX + "/") else ""
    rest = path[len(prefix) :].rstrip("/")
    route, ident = "", ""
    if rest == LIST_PATH:
        route = "list"
    elif rest.startswith(LIST_PATH + "/") and "/" not in rest[len(LIST_PATH) + 1 :]:
        route, ident = "one", unquote(rest[len(LIST_PATH) + 1 :])
    elif rest == ME_PATH:
        route = "me"
    if not route:
        raise ApiError(404, "No endpoint GET " + path)
    if method != "GET":
        raise ApiError(405, f"Request method '{method}' is not supported")
    return route, prefix, ident


def _links(
    base: str, items: list[tuple[str, str]], page: int, size: int, pages: int
) -> dict[str, dict[str, str]]:
    """Spring HATEOAS paging links: first/last only when there is somewhere to go."""

    def href(number: int) -> dict[str, str]:
        kept = [(k, v) for k, v in items if k not in (P.PAGE, P.SIZE)]
        query = urlencode([*kept, (P.PAGE, str(number)), (P.SIZE, str(size))], safe=",:")
        return {"href": f"{base}?{query}"}

    has_prev, has_next = page > 0, page + 1 < pages
    links: dict[str, dict[str, str]] = {}
    if has_prev or has_next:
        links["first"] = href(0)
    if has_prev:
        links["prev"] = href(page - 1)
    links["self"] = href(page)
    if has_next:
        links["next"] = href(page + 1)
    if has_prev or has_next:
        links["last"] = href(max(pages - 1, 0))
    return links


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
