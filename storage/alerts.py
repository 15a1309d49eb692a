"""Alerting rules and their state in SQLite: rule specs and schedule positions, instance
states per (rule, group), the bounded evaluation log, and small named values (source health).
`commit_evaluation` writes states, evaluation lines, positions and outbox rows at once.

Siblings: storage/budgets.py, storage/digests.py, storage/silences.py, storage/audit.py,
storage/outbox.py (outbox, message log, lease). Times are integer microseconds since the
epoch (UTC); groups are JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from rules.model import Rule
from rules.state import InstanceState
from rules.thresholds import Group
from storage.outbox import Outgoing, enqueue, from_us, to_us
from storage.txn import write_txn

EVALUATIONS_KEPT = 100  # per rule: enough for `rule show`, bounded for 1,000 rules


class DuplicateName(ValueError):
    """A rule or budget with this name exists already."""


def group_key(group: Group) -> str:
    return json.dumps(group)


def group_of(key: str) -> Group:
    value: Group = json.loads(key)
    return value


# -- rules ------------------------------------------------------------------------------------


def add_rule(db: Database, rule: Rule, now: datetime) -> None:
    """Store a new rule; raises DuplicateName if the name is taken."""
    with write_txn(db):
        found = db.conn.execute("SELECT 1 FROM alert_rules WHERE name = ?", (rule.name,))
        if found.fetchone():
            raise DuplicateName(f"a rule named `{rule.name}` exists already")
        db.conn.execute(
            "INSERT INTO alert_rules (name, spec, paused, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                rule.name,
                json.dumps(rule.to_dict()),
                int(rule.paused),
                rule.created_by,
                to_us(now),
                to_us(now),
            ),
        )


def save_rule(
    db: Database,
    rule: Rule,
    now: datetime,
    *,
    reset: bool = False,
    outgoing: Sequence[Outgoing] = (),
) -> None:
    """Insert or replace a rule by name (an edit keeps its states and schedule position).

    `reset` forgets its instance states; `outgoing` (the resolves of the alerts that
    forgets) is queued in the same transaction."""
    with write_txn(db):
        if reset:
            db.conn.execute("DELETE FROM alert_states WHERE rule = ?", (rule.name,))
        enqueue(db, outgoing, now)
        db.conn.execute(
            "INSERT INTO alert_rules (name, spec, paused, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET spec = excluded.spec,"
            " paused = excluded.paused, updated_at = excluded.updated_at",
            (
                rule.name,
                json.dumps(rule.to_dict()),
                int(rule.paused),
                rule.created_by,
                to_us(now),
                to_us(now),
            ),
        )


def get_rule(db: Database, name: str) -> Rule | None:
    row = db.conn.execute("SELECT spec FROM alert_rules WHERE name = ?", (name,)).fetchone()
    return None if row is None else Rule.from_dict(json.loads(row[0]))


def list_rules(db: Database) -> list[Rule]:
    rows = db.conn.execute("SELECT spec FROM alert_rules ORDER BY name").fetchall()
    return [Rule.from_dict(json.loads(spec)) for (spec,) in rows]


def set_paused(db: Database, name: str, paused: bool, now: datetime) -> bool:
    """Pause or resume; False if there is no such rule."""
    rule = get_rule(db, name)
    if rule is None:
        return False
    data = {**rule.to_dict(), "paused": paused}
    with write_txn(db):
        db.conn.execute(
            "UPDATE alert_rules SET spec = ?, paused = ?, updated_at = ? WHERE name = ?",
            (json.dumps(data), int(paused), to_us(now), name),
        )
    return True


def delete_rule(
    db: Database, name: str, *, outgoing: Sequence[Outgoing] = (), now: datetime | None = None
) -> bool:
    """Forget a rule, its states, evaluations and silences; delivered history stays.

    `outgoing` (the resolves of its open alerts) is queued in the same transaction."""
    with write_txn(db):
        gone = db.conn.execute("DELETE FROM alert_rules WHERE name = ?", (name,)).rowcount
        for table in ("alert_states", "alert_evaluations", "alert_silences"):
            db.conn.execute(f"DELETE FROM {table} WHERE rule = ?", (name,))
        if gone and outgoing and now is not None:
            enqueue(db, outgoing, now)
    return gone > 0


def positions(db: Database) -> dict[str, datetime | None]:
    """Each rule's last evaluated schedule slot (None: never evaluated)."""
    rows = db.conn.execute("SELECT name, position FROM alert_rules").fetchall()
    return {name: None if pos is None else from_us(pos) for name, pos in rows}


# -- instance states and the evaluation log ------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """One line of a rule's evaluation log: what was seen and what was (not) sent, and why."""

    at: datetime
    group: Group
    value: float | None
    state: str
    note: str  # "fired", "reminder", or why nothing was sent: "pending 1/2", "silenced"...


def load_states(db: Database, rule: str) -> dict[Group, InstanceState]:
    rows = db.conn.execute("SELECT grp, state FROM alert_states WHERE rule = ?", (rule,))
    return {group_of(g): InstanceState.from_dict(json.loads(s)) for g, s in rows}


def all_states(db: Database) -> dict[str, dict[Group, InstanceState]]:
    """Every rule's instance states, one query (for a pass over many rules, `rule list`)."""
    out: dict[str, dict[Group, InstanceState]] = {}
    for rule, g, s in db.conn.execute("SELECT rule, grp, state FROM alert_states"):
        out.setdefault(rule, {})[group_of(g)] = InstanceState.from_dict(json.loads(s))
    return out


def evaluations(db: Database, rule: str, limit: int = 20) -> list[Evaluation]:
    """The rule's latest evaluation lines, newest first."""
    rows = db.conn.execute(
        "SELECT at, grp, value, state, note FROM alert_evaluations WHERE rule = ?"
        " ORDER BY id DESC LIMIT ?",
        (rule, limit),
    )
    return [Evaluation(from_us(a), group_of(g), v, s, n) for a, g, v, s, n in rows]


@dataclass(frozen=True)
class RuleOutcome:
    """Everything one evaluation of one rule changes, written in one transaction."""

    rule: str
    position: datetime | None  # the schedule slot evaluated; None leaves the position
    states: Mapping[Group, InstanceState]  # replaces the rule's states (absent groups go)
    evaluations: Sequence[Evaluation] = ()
    outgoing: Sequence[Outgoing] = ()


def commit_evaluation(db: Database, outcomes: Sequence[RuleOutcome], now: datetime) -> int:
    """States, evaluation lines, positions and outbox rows of many rules: all or nothing.

    Returns how many outbox rows were new (a key already queued is not queued again).
    """
    queued = 0
    with write_txn(db):
        for out in outcomes:
            if _write_outcome(db, out):
                queued += enqueue(db, out.outgoing, now)
    return queued


def _write_outcome(db: Database, out: RuleOutcome) -> bool:
    conn = db.conn
    if conn.execute("SELECT 1 FROM alert_rules WHERE name = ?", (out.rule,)).fetchone() is None:
        return False  # deleted while it was being evaluated: nothing of it is kept or sent
    conn.execute("DELETE FROM alert_states WHERE rule = ?", (out.rule,))
    conn.executemany(
        "INSERT INTO alert_states (rule, grp, state) VALUES (?, ?, ?)",
        [(out.rule, group_key(g), json.dumps(s.to_dict())) for g, s in out.states.items()],
    )
    conn.executemany(
        "INSERT INTO alert_evaluations (rule, at, grp, value, state, note) VALUES (?,?,?,?,?,?)",
        [
            (out.rule, to_us(e.at), group_key(e.group), e.value, e.state, e.note)
            for e in out.evaluations
        ],
    )
    if out.evaluations:
        conn.execute(
            "DELETE FROM alert_evaluations WHERE rule = ? AND id <= (SELECT id FROM"
            " alert_evaluations WHERE rule = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
            (out.rule, out.rule, EVALUATIONS_KEPT),
        )
    if out.position is not None:
        conn.execute(
            "UPDATE alert_rules SET position = ? WHERE name = ?", (to_us(out.position), out.rule)
        )
    return True


# -- small named values ---------------------------------------------------------------------


def get_meta(db: Database, key: str) -> Any:
    row = db.conn.execute("SELECT value FROM alert_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def set_meta(db: Database, key: str, value: Any) -> None:
    with write_txn(db):
        db.conn.execute(
            "INSERT INTO alert_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )
