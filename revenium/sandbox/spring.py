"""How the sandbox answers, Spring Boot style: JSON bodies and the error body shape.

`ApiError` is raised anywhere in the request path and becomes
`{timestamp, status, error, message, path}` with the right status.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx

JSON = "application/json"


class ApiError(Exception):
    def __init__(self, status: int, message: str = "", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def timestamp(wall_s: float) -> str:
    """Spring's error timestamp: local ISO time with milliseconds and a numeric offset."""
    return datetime.fromtimestamp(wall_s, UTC).isoformat(timespec="milliseconds")


def error_body(status: int, message: str, path: str, wall_s: float) -> dict[str, Any]:
    body: dict[str, Any] = {
        "timestamp": timestamp(wall_s),
        "status": status,
        "error": HTTPStatus(status).phrase,
    }
    if message:  # Spring leaves the message out of 403s from its security filter
        body["message"] = message
    body["path"] = path
    return body


def json_response(
    status: int, body: Any, *, content_type: str = JSON, headers: dict[str, str] | None = None
) -> httpx.Response:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return httpx.Response(
        status, content=text.encode(), headers={"Content-Type": content_type, **(headers or {})}
    )


def error_response(error: ApiError, path: str, wall_s: float) -> httpx.Response:
    return json_response(
        error.status, error_body(error.status, error.message, path, wall_s), headers=error.headers
    )
