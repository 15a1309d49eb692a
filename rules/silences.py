"""Silences: who muted which rule (or one of its groups), until when, and why.

A silence drops an instance's notifications while it lasts; the state machine
still runs. When one ends during an alert, the engine says so once: each expiry
instant falls in exactly one interval (previous evaluation, this evaluation].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rules.thresholds import Group


@dataclass(frozen=True)
class Silence:
    rule: str
    group: Group  # None: every group of the rule
    until: datetime
    by: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.until.tzinfo is None:
            raise ValueError("a silence's end must be timezone-aware")

    def covers(self, rule: str, group: Group) -> bool:
        return self.rule == rule and (self.group is None or self.group == group)

    def active(self, now: datetime) -> bool:
        return now < self.until

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "until": self.until.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Silence:
        return cls(
            rule=data["rule"],
            group=data.get("group"),
            until=datetime.fromisoformat(data["until"]),
            by=data["by"],
            reason=data.get("reason", ""),
        )


def is_silenced(silences: Iterable[Silence], rule: str, group: Group, now: datetime) -> bool:
    return any(s.covers(rule, group) and s.active(now) for s in silences)


def expired_while_firing(
    silences: Iterable[Silence],
    rule: str,
    group: Group,
    since: datetime | None,
    now: datetime,
) -> Silence | None:
    """The silence that ended in (since, now] if no other still covers the instance.

    The caller asks only for instances that are firing now and were evaluated at
    `since`; with `since` None (never evaluated before) nothing has ended for them.
    """
    if since is None:
        return None
    relevant = [s for s in silences if s.covers(rule, group)]
    if any(s.active(now) for s in relevant):
        return None
    ended = [s for s in relevant if since < s.until <= now]
    return max(ended, key=lambda s: s.until, default=None)
