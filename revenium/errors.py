"""Errors from the Revenium side. None of their messages ever holds the API key.

ReveniumError
├── BadKey            403 Forbidden: missing, wrong or metering-only key
├── TeamDenied        403 Access Denied: the key cannot read this team
├── BadTeamId         400 "Failed to decode hashed Id"
├── InvalidRequest    other 400s (bounds, dates): a bug on our side, never retried
├── RecordNotFound    404 for a one-record read
├── RateLimited       429 after retries ran out          (retryable)
└── Unavailable       5xx, timeouts, connection errors,
                      malformed bodies after retries     (retryable)
"""

from __future__ import annotations


class ReveniumError(Exception):
    retryable = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BadKey(ReveniumError):
    pass


class TeamDenied(ReveniumError):
    pass


class BadTeamId(ReveniumError):
    pass


class InvalidRequest(ReveniumError):
    pass


class RecordNotFound(ReveniumError):
    pass


class RateLimited(ReveniumError):
    retryable = True


class Unavailable(ReveniumError):
    retryable = True
