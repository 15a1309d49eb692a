"""The API key never shows: not in reprs, errors, tracebacks (frame locals too) or DEBUG logs."""

from __future__ import annotations

import logging
import pickle
import socket
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import pytest

from revenium.client import RevClient, connect
from revenium.errors import ReveniumError
from revenium.query import Query
from revenium.sandbox.server import serve
from revenium.secret import HTTP_LOGGERS, Secret
from tests.fakes.revenium import KEY, OTHER_TEAM, TEAM, client_over, seeded, unlimited

END = datetime(2025, 3, 10, tzinfo=UTC)  # the client tests' sandbox ends here


def _no_key_in_traceback(tb: TracebackType | None) -> None:
    """What an error tracker would capture: every frame's locals, as repr."""
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            assert KEY not in repr(value), f"the key is in local {name!r} of {tb.tb_frame}"
        tb = tb.tb_next


def _assert_clean(error: BaseException) -> None:
    chain: BaseException | None = error
    while chain is not None:
        text = "".join(traceback.format_exception(chain))
        assert KEY not in text and KEY not in repr(chain) and KEY not in repr(vars(chain))
        _no_key_in_traceback(chain.__traceback__)
        chain = chain.__cause__ or chain.__context__


def test_secret_never_prints() -> None:
    secret = Secret(KEY)
    assert repr(secret) == str(secret) == f"{secret}" == "***"
    assert secret.reveal() == KEY
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_client_repr_and_str_hide_the_key() -> None:
    client = client_over(seeded(end=END, seed=7, per_day=400, rate_per_s=100))
    for text in (repr(client), str(client), f"{client!r}"):
        assert KEY not in text
        assert "api_key=***" in text and TEAM in text


def _failures() -> Iterator[tuple[str, Callable[[RevClient], object], dict[str, Any]]]:
    yield "bad key", lambda c: c.page(Query(), 0), {"api_key": KEY[:-1]}
    yield "team denied", lambda c: c.page(Query(), 0), {"team_id": OTHER_TEAM}
    yield "bad team", lambda c: c.page(Query(), 0), {"team_id": "x!"}
    yield "invalid", lambda c: c.page(Query(sort=(("nope", "asc"),)), 0), {}
    yield "not found", lambda c: c.get("ZZZZzzzz"), {}
    for fault in ("429", "5xx", "malformed"):
        yield fault, lambda c: c.page(Query(), 0), {"fault": fault}


def test_no_error_holds_the_key() -> None:
    box = seeded(end=END, seed=7, per_day=400, rate_per_s=100)
    seen = 0
    for label, call, options in _failures():
        fault = options.pop("fault", None)
        if fault:
            box.inject(fault, 2)
        with pytest.raises(ReveniumError) as caught:
            call(client_over(box, max_attempts=2, **options))
        assert caught.value.args[0], label
        _assert_clean(caught.value)
        seen += 1
    assert seen == 8


def test_connection_errors_hold_no_key() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = connect(f"http://127.0.0.1:{port}", KEY, TEAM, max_attempts=1)
    with client, pytest.raises(ReveniumError) as caught:
        client.me()
    _assert_clean(caught.value)


def test_debug_logs_of_a_real_request_never_show_the_key(caplog: pytest.LogCaptureFixture) -> None:
    box = seeded(end=END, seed=3, days=1, per_day=150, rate_per_s=100)
    box.inject("5xx")
    caplog.set_level(logging.DEBUG)
    with (
        serve(box) as server,
        connect(server.url, KEY, TEAM, bucket=unlimited(), sleep=lambda _: None) as client,
    ):
        assert len(list(client.records(Query()))) == 150
        with pytest.raises(ReveniumError):
            client.get("ZZZZzzzz")
    loggers = {record.name for record in caplog.records}
    assert {"httpx", "httpcore.http11", "httpcore.connection"} <= loggers, "DEBUG was captured"
    assert any("send_request_headers" in record.getMessage() for record in caplog.records)
    assert KEY not in caplog.text
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_a_library_that_did_log_the_key_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    # building a client registers its key with the filter
    client_over(seeded(end=END, seed=7, per_day=400, rate_per_s=100))
    caplog.set_level(logging.DEBUG)
    for name in HTTP_LOGGERS:
        logging.getLogger(name).debug("headers=%r", [(b"x-api-key", KEY.encode())])
        logging.getLogger(name).debug(f"x-api-key: {KEY}")
    assert len(caplog.records) == 2 * len(HTTP_LOGGERS)
    assert KEY not in caplog.text
    assert caplog.text.count("***") == 2 * len(HTTP_LOGGERS)
