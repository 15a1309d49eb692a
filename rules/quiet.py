"""Quiet hours per channel: from a local time to another in an IANA zone, nothing but
`critical` alerts is posted; when they end, one summary of what happened meanwhile.

Held messages wait in the outbox. At the end each is either sent as it was (alerts still
firing, resolves of alerts posted before) or folded into the summary (alerts that fired
and resolved meanwhile, reminders, budget posts, and what belongs to a folded alert).
Inside or outside is read on the wall clock of the zone, so DST moves the instants with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from rules.model import check_tz

FOLDED_KINDS = frozenset({"reminder", "budget_threshold", "budget_forecast"})
LISTED_BUDGETS = frozenset({"budget_threshold", "budget_forecast"})


@dataclass(frozen=True)
class QuietHours:
    channel: str
    start: time
    end: time
    tz: str = "UTC"
    created_by: str | None = None

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        check_tz(self.tz)

    def contains(self, when: datetime) -> bool:
        """Inside, on the zone's wall clock: 22:00-07:00 holds 23:30 and 06:59, not 07:00."""
        now = when.astimezone(ZoneInfo(self.tz)).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "start": self.start.isoformat("minutes"),
            "end": self.end.isoformat("minutes"),
            "tz": self.tz,
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuietHours:
        return cls(
            data["channel"],
            time.fromisoformat(data["start"]),
            time.fromisoformat(data["end"]),
            data.get("tz", "UTC"),
            data.get("created_by"),
        )


def quiet_now(hours: Sequence[QuietHours], channel: str, now: datetime) -> bool:
    return any(h.channel == channel and h.contains(now) for h in hours)


@dataclass(frozen=True)
class Held:
    """A message held during quiet hours, as the outbox knows it."""

    key: str
    kind: str  # fired, resolved, reminder, budget_threshold, held, silenced...
    subject: str
    group: Any
    thread_key: str | None
    at: datetime


@dataclass(frozen=True)
class Ending:
    """What the end of quiet hours does: the keys to send and to fold, and the summary."""

    send: tuple[str, ...]
    fold: tuple[str, ...]
    fired_and_resolved: tuple[tuple[Held, Held], ...] = ()
    still_firing: tuple[Held, ...] = ()
    resolved: tuple[Held, ...] = ()
    budgets: tuple[Held, ...] = ()
    skipped: int = 0  # reminders not sent


def settle(held: Sequence[Held]) -> Ending:
    """Which held messages still mean something now, and the summary of the others."""
    fired = {h.key: h for h in held if h.kind == "fired"}
    closed = {h.thread_key: h for h in held if h.kind == "resolved" and h.thread_key in fired}
    fold = {h.key for h in held if h.kind in FOLDED_KINDS}
    fold |= set(closed) | {h.key for h in closed.values()}
    fold |= {h.key for h in held if h.thread_key in closed}  # notes in a folded alert's thread
    send = tuple(h.key for h in held if h.key not in fold)
    return Ending(
        send=send,
        fold=tuple(h.key for h in held if h.key in fold),
        fired_and_resolved=tuple((fired[k], r) for k, r in closed.items()),
        still_firing=tuple(h for k, h in fired.items() if k not in closed),
        resolved=tuple(h for h in held if h.kind == "resolved" and h.thread_key not in fired),
        budgets=tuple(h for h in held if h.kind in LISTED_BUDGETS),
        skipped=sum(1 for h in held if h.kind == "reminder"),
    )
