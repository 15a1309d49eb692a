"""`imgmetrics rules backtest`: the scheduler's own evaluation replayed over history.

The same `run_rule`, fetch and renderer as a live pass (rules.engine.backtest on a
fake clock), so the messages listed are the ones a live run would have posted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.alert_render import payload
from bot.fmt import local
from bot.replay import backtest_messages
from bot.terminal import blocks_to_text
from revenium.source import MetricsSource
from rules.model import Rule
from rules.notification import NoteKind, Notification

_SPAN = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
MAX_SINCE = timedelta(days=90)


@dataclass(frozen=True)
class Replayed:
    at: datetime
    note: Notification
    payload: dict[str, Any]  # exactly what the outbox would hold


def replay(rule: Rule, source: MetricsSource, start: datetime, end: datetime) -> list[Replayed]:
    """Every message `rule` would have sent over [start, end), rendered as a live pass would."""
    return [Replayed(at, note, payload(note, rule))
            for at, note in backtest_messages(rule, source, start, end)]  # fmt: skip


def parse_since(text: str) -> timedelta:
    """`30d`, `12h`, `2w`: how far back a backtest starts."""
    match = _SPAN.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"`{text}` is not a span: use e.g. 30d, 12h or 2w")
    span = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if not timedelta(0) < span <= MAX_SINCE:
        raise ValueError(f"a backtest covers at most {MAX_SINCE.days} days")
    return span


def report(rule: Rule, replayed: list[Replayed], start: datetime, end: datetime) -> str:
    """Every message it would have sent, when, then a one-line tally."""
    lines = [f"Backtest of `{rule.name}` from {_local(start, rule)} to {_local(end, rule)}"
             f" ({rule.tz}):"]  # fmt: skip
    for item in replayed:
        lines.append(f"{_local(item.at, rule)}  {item.note.kind.value:<15} {_text(item.payload)}")
    fired = sum(1 for r in replayed if r.note.kind is NoteKind.FIRED)
    resolved = sum(1 for r in replayed if r.note.kind is NoteKind.RESOLVED)
    lines.append(
        f"Would have fired {fired}×, resolved {resolved}×; {len(replayed)} messages in all."
    )
    return "\n".join(lines)


def _text(p: dict[str, Any]) -> str:
    shown = p.get("update") or p
    return blocks_to_text(shown.get("blocks") or []).split("\n")[0] or shown.get("text", "")


def _local(when: datetime, rule: Rule) -> str:
    return local(when, rule.tz, "%Y-%m-%d %H:%M")
