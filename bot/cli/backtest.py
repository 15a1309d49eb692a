"""`imgmetrics rules backtest`: what a stored rule would have posted, as text or JSON.

The same `run_rule`, fetch and renderer as a live pass (rules.replay on a fake clock, over
the history the Archive reads once), so the messages listed are the ones a live run would
have posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.alerts.outgoing import Resolve, payload, to_json
from bot.render.fmt import local
from bot.render.terminal import blocks_to_text
from rules.history import Archive
from rules.model import Rule
from rules.notification import NoteKind, Notification
from rules.replay import backtest_messages, episodes


@dataclass(frozen=True)
class Replayed:
    at: datetime
    note: Notification
    payload: dict[str, Any]  # exactly what the outbox would hold
    headline: str  # the first line a channel would read


def replay(rule: Rule, archive: Archive, start: datetime, end: datetime) -> list[Replayed]:
    """Every message `rule` would have sent over [start, end), rendered as a live pass would."""
    out = []
    for at, note in backtest_messages(rule, archive, start, end):
        body = payload(note, rule)
        shown = body.update if isinstance(body, Resolve) else body.message
        headline = blocks_to_text(shown.blocks).split("\n")[0] or shown.text
        out.append(Replayed(at, note, to_json(body), headline))
    return out


def report(rule: Rule, replayed: list[Replayed], start: datetime, end: datetime) -> str:
    """Every message it would have sent, when, then a one-line tally."""
    lines = [
        f"Backtest of `{rule.name}` from {_local(start, rule)} to {_local(end, rule)} ({rule.tz}):"
    ]
    for item in replayed:
        lines.append(f"{_local(item.at, rule)}  {item.note.kind.value:<15} {item.headline}")
    fired = sum(1 for r in replayed if r.note.kind is NoteKind.FIRED)
    resolved = sum(1 for r in replayed if r.note.kind is NoteKind.RESOLVED)
    lines.append(
        f"Would have fired {fired}×, resolved {resolved}×; {len(replayed)} messages in all."
    )
    return "\n".join(lines)


def report_json(
    rule: Rule, replayed: list[Replayed], start: datetime, end: datetime
) -> dict[str, Any]:
    """CONTRACT.md §2: the episodes, so a rules file can be backtested in CI."""
    return {
        "rule": rule.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "episodes": [
            {
                "group": None if rule.by is None else {rule.by: e.group},
                "fired_at": e.fired_at.isoformat(),
                "resolved_at": e.resolved_at.isoformat() if e.resolved_at else None,
                "peak": e.peak,
            }
            for e in episodes([(r.at, r.note) for r in replayed])
        ],
    }


def _local(when: datetime, rule: Rule) -> str:
    return local(when, rule.tz, "%Y-%m-%d %H:%M")
