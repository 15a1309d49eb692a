"""Logging for every command: IMGMETRICS_LOG_LEVEL, text or one JSON object per line
(IMGMETRICS_LOG_FORMAT, python-json-logger), every secret scrubbed from what is written.

Ids passed as `extra=` (rule, outbox row) become fields of the JSON object. Slack's own
loggers stay at WARNING (Bolt logs request bodies at INFO on signature failure), and
httpx's request lines show at DEBUG only.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings
from revenium.secret import HTTP_LOGGERS, RedactFilter, redact_http_logs

TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_FIELDS = {"levelname": "level", "name": "logger"}
QUIET = ("slack_bolt", "slack_sdk", "uvicorn", "uvicorn.error", "uvicorn.access")


class Scrubbing(logging.Formatter):
    """The line another formatter writes, with every registered secret masked: messages,
    arguments and tracebacks alike."""

    def __init__(self, inner: logging.Formatter, secrets: RedactFilter) -> None:
        super().__init__()
        self.inner, self.secrets = inner, secrets

    def format(self, record: logging.LogRecord) -> str:
        return self.secrets.scrub(self.inner.format(record))


class Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to stderr as it is at each line (a test runner swaps it per command)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """One handler on the root logger, on stderr; called again, it replaces the first."""
    secrets = redact_http_logs(settings.revenium_api_key)
    for secret in (
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
    ):
        secrets.add(secret)
    inner: logging.Formatter
    if settings.log_format == "json":
        inner = JsonFormatter(
            "{levelname}{name}{message}", style="{", rename_fields=JSON_FIELDS, timestamp="time"
        )
    else:
        inner = logging.Formatter(TEXT)
    handler = Stderr()
    handler.setFormatter(Scrubbing(inner, secrets))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, Scrubbing)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # A line per request at INFO would drown the rest; DEBUG shows them (keys scrubbed).
    for name in HTTP_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
        )
