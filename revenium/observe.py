"""What a RevClient tells whoever watches it: each request's answer and each wait.

bot/ wires an Observer to its metrics and `doctor` reads the server's clock from it;
the client itself knows nothing of either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Literal, Protocol

Endpoint = Literal["list", "one", "me"]
WaitReason = Literal["bucket", "retry"]


@dataclass(frozen=True)
class Exchange:
    endpoint: Endpoint
    status: int | None  # None: no answer (timeout, connection lost)
    seconds: float
    date: datetime | None = None  # the server's Date header, when it sent one


class Observer(Protocol):
    def exchanged(self, exchange: Exchange) -> None: ...

    def waited(self, reason: WaitReason, seconds: float) -> None: ...


class Unobserved:
    def exchanged(self, exchange: Exchange) -> None:
        pass

    def waited(self, reason: WaitReason, seconds: float) -> None:
        pass


def http_date(text: str | None) -> datetime | None:
    """An HTTP Date header (RFC 9110) as an aware datetime; None when absent or unreadable."""
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
