"""One Web API call as the fake Slack's methods see it: params and scope bookkeeping.

Params arrive as form strings or JSON values (Slack accepts both); `Request` reads
either. Scopes are checked as Slack checks them, and each one a call needed is noted.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.slack_state import IM, JSON, PUBLIC, Channel, SlackError, Workspace

_BY_KIND = {
    "history": {PUBLIC: "channels:history", "private": "groups:history", IM: "im:history"},
    "read": {PUBLIC: "channels:read", "private": "groups:read", IM: "im:read"},
}
_JSON_ERRORS = {"blocks": "invalid_blocks_format", "metadata": "invalid_metadata_format"}


class Request:
    """One Web API call's params, as form fields or JSON values, plus its scope bookkeeping."""

    def __init__(self, ws: Workspace, params: JSON, granted: frozenset[str] | None) -> None:
        self.ws, self.params, self.granted = ws, params, granted
        self.scopes: list[str] = []

    def opt(self, name: str) -> str | None:
        value = self.params.get(name)
        return None if value in (None, "") else str(value)

    def need(self, name: str) -> str:
        value = self.opt(name)
        if value is None:
            raise SlackError("invalid_arguments", response_metadata=missing(name))
        return value

    def number(self, name: str, default: int) -> int:
        value = self.opt(name)
        try:
            return default if value is None else int(value)
        except ValueError:
            raise SlackError("invalid_arguments", response_metadata=missing(name)) from None

    def flag(self, name: str) -> bool:
        return str(self.params.get(name, "")).lower() in ("1", "true")

    def json(self, name: str) -> Any:
        value = self.params.get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(_JSON_ERRORS.get(name, "invalid_arguments")) from None

    def has(self, scope: str) -> bool:
        return self.granted is None or scope in self.granted

    def require(self, scope: str) -> None:
        self.scopes.append(scope)  # noted even when refused: tests compare with the manifest
        if not self.has(scope):
            provided = ",".join(sorted(self.granted or ()))
            raise SlackError("missing_scope", needed=scope, provided=provided)

    def channel(self, family: str | None = None) -> Channel:
        """The `channel` param's channel, after the scope its type needs for `family`."""
        ch = self.ws.channel(self.need("channel"))
        if family is not None:
            self.require(_BY_KIND[family][ch.kind])
        return ch


def missing(name: str) -> JSON:
    return {"messages": [f"[ERROR] missing required field: {name}"]}
