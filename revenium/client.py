"""The Revenium client: paced, retrying, key-safe reads of image metrics over one httpx.Client.

`page` reads one page, `records` streams a whole query in constant memory, `get`
reads one record and `me` the key's user. The retry policy and the mapping of
answers to `revenium.errors` live here; pacing lives in `ratelimit.py`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import msgspec
import orjson

from revenium import params as P
from revenium.errors import (
    BadKey,
    BadTeamId,
    InvalidRequest,
    RateLimited,
    RecordNotFound,
    ReveniumError,
    TeamDenied,
    Unavailable,
)
from revenium.observe import Endpoint, Exchange, Observer, Unobserved, http_date
from revenium.query import Query
from revenium.ratelimit import Bucket, shared_bucket
from revenium.records import Record
from revenium.secret import Secret, redact_http_logs

API_KEY_HEADER = "x-api-key"
LIST_PATH = "/v2/api/sources/metrics/ai/images"
ME_PATH = "/v2/api/users/me"
_LIST = "the metrics list"
_MESSAGE_LIMIT = 300  # characters of a server's error message worth showing a user
# A sync keeps ~32 requests in flight: every one of them keeps its connection between pages
# (httpx keeps 20 alive by default, so a third of the pages would open a new connection).
LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64)

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class Malformed(ValueError):
    """A 200 whose body is not what the API sends; retried like a 5xx."""


@dataclass(frozen=True)
class Page(Generic[R]):
    records: list[R]  # dicts from `page`; each record's JSON text as sent from `raw_page`
    number: int
    size: int  # what the server honoured, which may be less than asked
    total_elements: int
    total_pages: int

    @property
    def is_last(self) -> bool:
        return self.number + 1 >= self.total_pages


@dataclass(frozen=True)
class _Retry:
    error: ReveniumError
    after: float | None = None  # the server's Retry-After, when it gave one


class RevClient:
    def __init__(
        self,
        http: httpx.Client,
        *,
        base_url: str,
        api_key: str | Secret,
        team_id: str,
        bucket: Bucket | None = None,
        page_size: int = 100,
        max_attempts: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
        observer: Observer | None = None,
    ) -> None:
        if page_size < 1 or max_attempts < 1:
            raise ValueError("page_size and max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.team_id = team_id
        self.page_size = page_size
        self._http = http
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        redact_http_logs(self._key)
        self.bucket = bucket if bucket is not None else shared_bucket()
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._rng = rng
        self.observer = observer or Unobserved()

    def __repr__(self) -> str:
        return f"RevClient({self.base_url!r}, team_id={self.team_id!r}, api_key={self._key!r})"

    # -- reads ---------------------------------------------------------------

    def page(self, query: Query, number: int, size: int | None = None) -> Page[Record]:
        """One page of the list endpoint; `size` defaults to the client's page size."""
        size = self.page_size if size is None else size
        parse = lambda content: parse_page(orjson.loads(content), number, size)  # noqa: E731
        return self._call("list", LIST_PATH, self._page_params(query, number, size), parse, _LIST)

    def raw_page(self, query: Query, number: int, size: int | None = None) -> Page[str]:
        """`page`, each record left as the JSON text the server sent (a sync decodes it once,
        on its own terms, instead of building a dict per record here)."""
        size = self.page_size if size is None else size
        parse = lambda content: parse_raw_page(content, number, size)  # noqa: E731
        return self._call("list", LIST_PATH, self._page_params(query, number, size), parse, _LIST)

    def _page_params(self, query: Query, number: int, size: int) -> list[tuple[str, str]]:
        if number < 0 or size < 1:
            raise ValueError("page number must be >= 0 and size >= 1")
        return [*query.api_params(self.team_id), (P.PAGE, str(number)), (P.SIZE, str(size))]

    def records(self, query: Query) -> Iterator[Record]:
        """Every record matching `query`, page after page, fetched only as they are consumed."""
        number = 0
        while True:
            page = self.page(query, number)
            yield from (record for record in page.records if query.accepts(record))
            # An empty page ends the walk even if totalPages claims more: no endless loops.
            if page.is_last or not page.records:
                return
            number = page.number + 1

    def get(self, record_id: str) -> Record:
        """One record by id; RecordNotFound when the team has no such record."""
        if not record_id:
            raise ValueError("record id must not be empty")
        path = f"{LIST_PATH}/{quote(record_id, safe='')}"
        what = f"no image metric record with id {record_id!r} in team {self.team_id!r}"
        return self._call("one", path, [(P.TEAM_ID, self.team_id)], _object, what)

    def me(self) -> dict[str, Any]:
        """The key's user: `{id, tenantId, teams: [...], defaultTeamId}`."""
        return self._call("me", ME_PATH, [], _object, "the Revenium user endpoint was not found")

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RevClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one request, retried ------------------------------------------------

    def _call(
        self,
        endpoint: Endpoint,
        path: str,
        params: list[tuple[str, str]],
        parse: Callable[[bytes], T],
        missing: str,
    ) -> T:
        url = self.base_url + path
        failure = _Retry(Unavailable("no attempt was made"))
        for attempt in range(self._max_attempts):
            self.observer.waited("bucket", self.bucket.acquire())
            outcome = self._attempt(endpoint, url, params, parse, missing)
            if not isinstance(outcome, _Retry):
                return outcome
            failure = outcome
            if attempt + 1 < self._max_attempts:
                delay = self._delay(outcome, attempt)
                log.info("Revenium request failed (%s); retrying in %.2f s", outcome.error, delay)
                self.observer.waited("retry", delay)
                self._sleep(delay)
        raise failure.error

    def _delay(self, failure: _Retry, attempt: int) -> float:
        if failure.after is None:
            return min(self._backoff_cap, self._backoff_base * 2.0**attempt) * self._rng()
        if failure.after > self._backoff_cap:
            # A long Retry-After is a block on the account, not a busy bucket: waiting
            # it out inside a chat command helps nobody, so give up now and say so.
            wait = f"{failure.after:g} s"
            raise RateLimited(f"Revenium rate-limited this account for {wait} (429)", status=429)
        return failure.after

    def _attempt(
        self,
        endpoint: Endpoint,
        url: str,
        params: list[tuple[str, str]],
        parse: Callable[[bytes], T],
        missing: str,
    ) -> T | _Retry:
        started = time.monotonic()
        try:
            # No local holds the headers: a traceback that captures frame locals
            # (error trackers do) must not find the key here.
            response = self._http.get(url, params=tuple(params), headers=self._headers())
        except httpx.TransportError as exc:
            self.observer.exchanged(Exchange(endpoint, None, time.monotonic() - started))
            if isinstance(exc, httpx.TimeoutException):
                late = f"Revenium did not answer in time ({type(exc).__name__})"
                return _Retry(Unavailable(late))
            reason = self._scrub(f"{type(exc).__name__}: {exc}")
            return _Retry(Unavailable(f"could not reach Revenium at {self.base_url}: {reason}"))
        status = response.status_code
        date = http_date(response.headers.get("Date"))
        self.observer.exchanged(Exchange(endpoint, status, time.monotonic() - started, date))
        if status == 429:
            error = RateLimited("Revenium kept answering 429 Too Many Requests", status=429)
            return _Retry(error, retry_after(response))
        if status >= 500:
            return _Retry(Unavailable(f"Revenium answered {status} (server error)", status=status))
        if 200 <= status < 300:
            try:
                return parse(response.content)
            except ValueError as exc:  # JSON decode errors and Malformed are ValueErrors
                reason = f"Revenium sent a malformed response body ({type(exc).__name__})"
                return _Retry(Unavailable(reason, status=status))
        raise self._refusal(response, missing)

    def _refusal(self, response: httpx.Response, missing: str) -> ReveniumError:
        """The error for a 4xx other than 429 (or an unexpected 1xx/3xx): never retried."""
        status = response.status_code
        body = _error_body(response)
        message = self._scrub(str(body.get("message") or ""))[:_MESSAGE_LIMIT]
        error = str(body.get("error") or response.reason_phrase or "")
        if status == 403 and "Access Denied" in f"{message} {error}":
            return TeamDenied(
                f"the Revenium API key may not read team {self.team_id!r} (403 Access Denied); "
                "check REVENIUM_TEAM_ID",
                status=status,
            )
        if status == 403:
            return BadKey(
                f"the Revenium API key was refused (403 {error or 'Forbidden'}); check "
                "REVENIUM_API_KEY: it must be a key allowed to read metrics, not metering-only",
                status=status,
            )
        if status == 400 and "Failed to decode hashed Id" in f"{message} {error}":
            return BadTeamId(
                f"{self.team_id!r} is not a valid Revenium team id (400 Failed to decode hashed "
                "Id); check REVENIUM_TEAM_ID",
                status=status,
            )
        if status == 404:
            return RecordNotFound(missing, status=status)
        detail = f": {message}" if message else ""
        return InvalidRequest(
            f"Revenium rejected the request ({status} {error}){detail}".strip(), status=status
        )

    def _headers(self) -> dict[str, str]:
        return {API_KEY_HEADER: self._key.reveal(), "Accept": "application/json"}

    def _scrub(self, text: str) -> str:
        key = self._key.reveal()
        return text.replace(key, "***") if key else text


def connect(
    base_url: str, api_key: str | Secret, team_id: str, *, timeout: float = 30.0, **kw: Any
) -> RevClient:
    """A RevClient on a fresh httpx.Client; proxy variables are ignored (trust_env=False)."""
    http = httpx.Client(timeout=timeout, trust_env=False, limits=LIMITS)
    return RevClient(http, base_url=base_url, api_key=api_key, team_id=team_id, **kw)


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header as seconds, or None when absent or not a number."""
    text = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        return None


def parse_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Malformed("expected a JSON object")
    return body


def _object(content: bytes) -> dict[str, Any]:
    return parse_object(orjson.loads(content))


def parse_page(body: Any, number: int, size: int) -> Page[Record]:
    """A list body: the first list inside `_embedded` and the `page` block."""
    body = parse_object(body)
    return _paged(_embedded_records(body.get("_embedded")), body.get("page"), number, size)


class _RawBody(msgspec.Struct):
    embedded: dict[str, msgspec.Raw] | None = msgspec.field(default=None, name="_embedded")
    page: Any = None


_RAW_BODY = msgspec.json.Decoder(_RawBody)
_RAW_LIST = msgspec.json.Decoder(list[msgspec.Raw])


def parse_raw_page(content: bytes, number: int, size: int) -> Page[str]:
    """`parse_page` over the body's bytes, each record kept as its JSON text."""
    try:
        body = _RAW_BODY.decode(content)
    except msgspec.ValidationError:
        raise Malformed("expected a JSON object with an object `_embedded`") from None
    records: list[str] = []
    for value in (body.embedded or {}).values():
        if memoryview(value)[:1].tobytes() == b"[":
            items = _RAW_LIST.decode(value)
            if not all(memoryview(item)[:1].tobytes() == b"{" for item in items):
                raise Malformed("a record is not an object")
            records = [str(item, "utf-8") for item in items]
            break
    return _paged(records, body.page, number, size)


def _paged(records: list[R], meta: Any, number: int, size: int) -> Page[R]:
    if meta is None:  # no paging block: the server sent everything it has, call it the last page
        return Page(records, number, size, number * size + len(records), number + 1)
    if not isinstance(meta, dict):
        raise Malformed("`page` is not an object")
    return Page(
        records=records,
        number=_int(meta, "number", number),
        size=_int(meta, "size", size),
        total_elements=_int(meta, "totalElements", len(records)),
        total_pages=_int(meta, "totalPages", number + 1),
    )


def _embedded_records(embedded: Any) -> list[Record]:
    if embedded is None:
        return []
    if not isinstance(embedded, dict):
        raise Malformed("`_embedded` is not an object")
    for value in embedded.values():
        if isinstance(value, list):
            if not all(isinstance(item, dict) for item in value):
                raise Malformed("a record is not an object")
            return value
    return []


def _int(meta: dict[str, Any], key: str, default: int) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Malformed(f"`page.{key}` is not a non-negative integer")
    return value


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
