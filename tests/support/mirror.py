"""Small deterministic records for the mirror's tests, and the plain-Python answers to compare with.

Values come from small pools (so filters match), include nulls, empty strings and
mixed-case enums, and costs are multiples of 1/64 so every float sum is exact
whatever order it is added in.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from revenium import params as P
from revenium.buckets import Bucket, bucket_starts, index_of
from revenium.figures import Summary, Tally
from revenium.query import Query
from revenium.records import Record, format_time, parse_time
from storage import columns as C
from storage.mirror import Mirror
from tests.support import oracle

BASE = datetime(2026, 10, 31, 12, tzinfo=UTC)  # spans the New York DST change of 2026-11-01
SPAN = timedelta(days=3)
DURATION = P.BY_NAME["requestDurationMin"].field
COST = P.BY_NAME["totalCostMin"].field
REQUESTED = P.BY_NAME["requestedImageCountMin"].field
IMAGES = P.BY_NAME["actualImageCountMin"].field


def pool(p: P.Param) -> list[Any]:
    """The values a record field takes (None included)."""
    if p.kind is P.Kind.BOOL:
        return [True, False, None]
    if p.kind is P.Kind.ENUM:
        a, b = p.choices[0], p.choices[1]
        return [a, a.upper(), b, b.capitalize(), None]
    if p.name == P.TRACE_TYPE:
        return [None, "", P.NO_TRACE_TYPE, "chat", "batch"]
    if P.param(p.name).field == "errorReason":
        return [None] * 12 + ["timeout", "content_policy_violation", ""]
    return [f"{p.name}-{i}" for i in range(3)] + [None]


TEXT_FILTERS = [p for p in P.FILTERS if p.role is P.Role.FILTER]


def _number(rng: random.Random, path: str | None) -> Any:
    if rng.random() < 0.05:
        return None
    if path == DURATION:
        return rng.randint(0, 120) * 250 + rng.choice((0, 0, 1))
    if path == COST:
        return rng.randint(0, 320) / 64
    return rng.randint(0, 4)


def make_records(seed: int, count: int, prefix: str = "r") -> list[Record]:
    rng = random.Random(seed)
    span_ms = int(SPAN.total_seconds() * 1000)
    out = []
    for i in range(count):
        offset = rng.randrange(span_ms) if rng.random() < 0.9 else rng.randrange(72) * 3_600_000
        record: Record = {
            "id": f"{prefix}{i:05d}",
            "requestTime": format_time(BASE + timedelta(milliseconds=offset)),
        }
        for p in TEXT_FILTERS:
            _put(record, p.field or "", rng.choice(pool(p)))
        for path in (DURATION, COST, REQUESTED, IMAGES):
            record[path or ""] = _number(rng, path)
        if rng.random() < 0.05:
            record["organization"] = None
        out.append(record)
    return out


def _put(record: Record, path: str, value: Any) -> None:
    steps = path.split(".")
    target = record
    for step in steps[:-1]:
        target = target.setdefault(step, {})
    target[steps[-1]] = value


def expected(query: Query, records: list[Record]) -> list[Record]:
    """What the API lists for `query` (tests/oracle.py on its parameters), strict bounds applied."""
    params = {name: value for name, value in query.api_params("TEAM") if name != P.SORT}
    return [r for r in records if oracle.matches(params, r) and query.accepts(r)]


def expected_series(
    query: Query, records: list[Record], bucket: Bucket, tz: str
) -> list[tuple[datetime, Summary]]:
    """As revenium.source.ApiSource.series computes it."""
    assert query.window is not None
    starts = bucket_starts(query.window, bucket, ZoneInfo(tz))
    tallies = [Tally() for _ in starts]
    for record in expected(query, records):
        tallies[index_of(parse_time(record["requestTime"]), starts)].add(record)
    return [(s, t.summary()) for s, t in zip(starts, tallies, strict=True)]


def as_held(record: Record) -> Record:
    """A record as the mirror gives it back: every field, nulls kept, no `_links`."""
    row = C.row("T", record)
    return C.record_of(row[1], row[2], [*row[4:-1], *row[3]])


def held(mirror: Mirror, team: str, record_id: str) -> list[Record]:
    """Every row the mirror holds for an id (more than one would be a bug)."""
    names = ", ".join(c.name for c in C.STORED)
    sql = f"SELECT {C.TIME}, id, {names} FROM records WHERE team = ? AND id = ?"
    rows = mirror.db.conn.execute(sql, (team, record_id)).fetchall()
    return [C.record_of(at, key, values) for at, key, *values in rows]


def close(a: Summary, b: Summary) -> bool:
    # Figures are rounded to 6 places; sums added in another order can round either side
    # of a boundary (0.0536875 -> 0.053687 or 0.053688): one unit there is still equal.
    return all(
        math.isclose(x, y, abs_tol=1.5e-6) if isinstance(x, float) else x == y
        for x, y in zip(a.as_dict().values(), b.as_dict().values(), strict=True)
    )
