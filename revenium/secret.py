"""The API key as a value that cannot be printed, and a log filter that scrubs it.

`Secret` shows as `***` in repr, str and f-strings; only `reveal()` gives the
text, at the one place a header is built. `redact_http_logs` puts a filter on
the httpx/httpcore loggers so no debug line can carry a registered secret.
"""

from __future__ import annotations

import logging
import threading

MASK = "***"

# Every logger httpx 0.28 / httpcore 1.x writes to. Filters on a logger only see
# records created on that logger, so each child needs its own.
HTTP_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


class RedactFilter(logging.Filter):
    """Replaces every registered secret in a record's message by `***`; never drops a record."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()

    def add(self, secret: Secret) -> None:
        text = secret.reveal()
        if len(text) >= 4:  # a one-letter "key" would mangle every log line
            with self._lock:
                self._secrets = self._secrets | {text}

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logging's to report, not ours
            return True
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactFilter()
_installed = False
_install_lock = threading.Lock()


def redact_http_logs(secret: Secret) -> RedactFilter:
    """Make sure no httpx/httpcore log record can show `secret`; idempotent."""
    global _installed  # noqa: PLW0603 - one filter per process, installed once
    _FILTER.add(secret)
    with _install_lock:
        if not _installed:
            for name in HTTP_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed = True
    return _FILTER
