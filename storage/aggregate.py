"""Figures per (bucket, group) for a query: clean rollup hours where a cube can answer, raw rows
for the rest (window edges, dirty hours, hours that straddle a local bucket, any filter a
cube cannot express). Everything is read in one snapshot, so the parts never overlap or miss.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Any

from sqlite_utils import Database

from revenium import params as P
from revenium.query import Query
from storage import columns as C
from storage import rollups as R
from storage import where as W
from storage.partials import Partial, unpack
from storage.txn import read_txn

Key = tuple[int, Any]  # (bucket index, group value)
Span = tuple[int, int]  # [start, end) in microseconds

SUMS = (  # a group's figures in Partial.add's order, as revenium.figures defines them
    "COUNT(*)",
    f"SUM(CAST(IFNULL({C.IMAGES}, 0) AS INTEGER))",
    f"SUM(CAST(IFNULL({C.REQUESTED}, 0) AS INTEGER))",
    f"TOTAL(IFNULL({C.COST}, 0))",
    f"SUM({C.IS_ERROR})",
    f"TOTAL(CASE WHEN {C.IS_ERROR} THEN IFNULL({C.COST}, 0) END)",
    f"SUM(MAX(0, CAST(IFNULL({C.REQUESTED}, 0) AS INTEGER)"
    f" - CAST(IFNULL({C.IMAGES}, 0) AS INTEGER)))",
)
_DURATIONS = f"GROUP_CONCAT(CAST({C.DURATION} AS INTEGER))"


def aggregate(
    db: Database, team: str, query: Query, starts: list[int] | None, dimension: str | None
) -> dict[Key, Partial]:
    """Partials keyed by (bucket index, group value; None without `dimension`).

    `starts` are the buckets' starts in microseconds, the first at or before the
    window's start; None means the whole window is one bucket.
    """
    reader = _Reader(db, team, query, dimension)
    with read_txn(db):
        if query.window is None:
            reader.raw((0, 0, 0, 0), None)
            return reader.out
        lo, hi = C.micros(query.window.start), C.micros(query.window.end)
        starts = starts or [lo]
        cube = R.cube(query, dimension)
        hours = _rollup_hours(db, team, lo, hi, starts) if cube is not None else {}
        if cube is not None and hours:
            reader.rollups(cube, hours)
        gaps = _gaps(lo, hi, sorted(hours))
        for segment in _segments(starts, hi):
            spans = [s for s in (_clip(g, segment[1], segment[3]) for g in gaps) if s]
            for span in spans:  # one range per statement: an OR of ranges would scan the team
                reader.raw(segment, span)
    return reader.out


def _rollup_hours(db: Database, team: str, lo: int, hi: int, starts: list[int]) -> dict[int, int]:
    """Clean UTC hours inside [lo, hi) that lie inside one bucket -> that bucket's index."""
    skip = R.dirty(db, team, lo, hi)
    hour = R.floor_hour(lo) + (R.HOUR if lo % R.HOUR else 0)
    out = {}
    while hour + R.HOUR <= hi:
        index = bisect_right(starts, hour) - 1
        if hour not in skip and index == bisect_right(starts, hour + R.HOUR - 1) - 1:
            out[hour] = index
        hour += R.HOUR
    return out


class _Reader:
    """Adds rollup rows and raw rows of one query into `out`."""

    def __init__(self, db: Database, team: str, query: Query, dimension: str | None) -> None:
        self.db, self.team, self.query, self.dimension = db, team, query, dimension
        self.out: dict[Key, Partial] = defaultdict(Partial)

    def rollups(self, cube: str, hours: dict[int, int]) -> None:
        at = (
            "team = ? AND dim = ? AND hour >= ? AND hour < ?",
            [self.team, cube, min(hours), max(hours) + 1],
        )
        clauses = [at] + [W.predicate(n, v, "value", "value_lc") for n, v in self.query.filters]
        sql, params = W.join(clauses)
        names = (
            "hour, value, requests, images, requested, cost, errors, wasted, shortfall, durations"
        )
        for row in self.db.conn.execute(f"SELECT {names} FROM mirror_rollups WHERE {sql}", params):
            index = hours.get(row[0])
            if index is not None:
                partial = self.out[(index, row[1] if self.dimension is not None else None)]
                partial.add(row[2:9])
                partial.runs.append(unpack(row[9]))

    def raw(self, segment: tuple[int, int, int, int], span: Span | None) -> None:
        """Add the raw rows of `span` (None: at any time), bucketed by `segment`'s formula."""
        first, start, width, _end = segment
        if span is None or (start <= span[0] and span[1] <= start + width):
            bucket, bucket_params = "?", [first]
        else:
            bucket, bucket_params = f"(? + ({C.TIME} - ?) / ?)", [first, start, width]
        group = C.column(self.dimension).name if self.dimension is not None else "NULL"
        clauses = [("team = ?", [self.team]), *W.filters(self.query)]
        sql, params = W.join(clauses + ([W.span(*span)] if span else []))
        keys, key_params = f"{bucket}, {group}", bucket_params
        # Durations travel as one comma-separated string per group: one scan, no row per value.
        text = f"SELECT {keys}, {', '.join(SUMS)}, {_DURATIONS} FROM records WHERE {sql}"
        if self.dimension is not None or bucket != "?":
            text += " GROUP BY 1, 2"
        for row in self.db.conn.execute(text, key_params + params):
            if row[2]:
                partial = self.out[(row[0], group_value(self.dimension, row[1]))]
                partial.add(row[2:9])
                if row[9]:
                    partial.runs.append(sorted(map(int, row[9].split(","))))


def group_value(dimension: str | None, value: Any) -> Any:
    """A group value as figures.group keys it (booleans are stored as 0/1)."""
    if dimension is not None and value is not None and P.param(dimension).kind is P.Kind.BOOL:
        return bool(value)
    return value


def _gaps(lo: int, hi: int, hours: list[int]) -> list[Span]:
    """[lo, hi) minus the given whole hours, as merged spans."""
    out: list[Span] = []
    cursor = lo
    for hour in hours:
        if hour > cursor:
            out.append((cursor, hour))
        cursor = hour + R.HOUR
    if cursor < hi:
        out.append((cursor, hi))
    return out


def _segments(starts: list[int], hi: int) -> list[tuple[int, int, int, int]]:
    """Runs of equal-width buckets as (first index, start, width, end): one bucket formula each."""
    out: list[tuple[int, int, int, int]] = []
    ends = [*starts[1:], hi]
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        width = end - start
        last = index == len(starts) - 1
        if out and (out[-1][2] == width or (last and width <= out[-1][2])):
            out[-1] = (*out[-1][:3], end)
        else:
            out.append((index, start, width, end))
    return out


def _clip(span: Span, start: int, end: int) -> Span | None:
    a, b = max(span[0], start), min(span[1], end)
    return (a, b) if a < b else None
