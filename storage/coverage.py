"""Which [start, end) spans the mirror holds complete data for, per team, and when it last synced.

A query is answered locally only when its window lies inside one covered span.
Times are integer microseconds since the epoch, like the `records` table's.
"""

from __future__ import annotations

from sqlite_utils import Database

from storage.txn import write_txn

Span = tuple[int, int]


def spans(db: Database, team: str) -> list[Span]:
    sql = "SELECT span_start, span_end FROM mirror_coverage WHERE team = ? ORDER BY span_start"
    return [(a, b) for a, b in db.conn.execute(sql, (team,))]


def add(db: Database, team: str, start: int, end: int, synced_at: int) -> None:
    """Record that [start, end) is now complete; touching or overlapping spans merge."""
    if end <= start:
        raise ValueError("a covered span must end after it starts")
    with write_txn(db):
        _replace(db, team, merge([*spans(db, team), (start, end)]))
        db.conn.execute(
            "INSERT INTO mirror_sync (team, synced_at) VALUES (?, ?)"
            " ON CONFLICT (team) DO UPDATE SET synced_at = MAX(synced_at, excluded.synced_at)",
            (team, synced_at),
        )


def covers(db: Database, team: str, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in spans(db, team))


def watermark(db: Database, team: str) -> int | None:
    """The end of the latest covered span: everything before it (in that span) is held."""
    ends = [b for _, b in spans(db, team)]
    return max(ends) if ends else None


def synced_at(db: Database, team: str) -> int | None:
    row = db.conn.execute("SELECT synced_at FROM mirror_sync WHERE team = ?", (team,)).fetchone()
    return None if row is None else int(row[0])


def forget_before(db: Database, before: int) -> None:
    """Shrink every team's spans to start at `before` (rows older than it were deleted)."""
    teams = [t for (t,) in db.conn.execute("SELECT DISTINCT team FROM mirror_coverage")]
    for team in teams:
        kept = [(max(a, before), b) for a, b in spans(db, team) if b > before]
        _replace(db, team, kept)


def merge(parts: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(parts):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _replace(db: Database, team: str, parts: list[Span]) -> None:
    db.conn.execute("DELETE FROM mirror_coverage WHERE team = ?", (team,))
    db.conn.executemany(
        "INSERT INTO mirror_coverage (team, span_start, span_end) VALUES (?, ?, ?)",
        [(team, a, b) for a, b in parts],
    )
