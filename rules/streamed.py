"""Backtest history read from a MetricsSource record by record: for a source without a mirror,
and for the part of a span older than the mirror's history (the API, filters pushed down).

The span is read once, in consecutive time slices of at most SLICE_RECORDS records, and
each record is added to its bucket in every cube: memory holds one slice and the buckets,
never the span's records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from revenium import params as P
from revenium.figures import Tally
from revenium.query import Query, Window
from revenium.records import Record, field, parse_time
from revenium.source import MetricsSource
from rules.history import Bucketed, History, Plan
from rules.sums import Cube, Dims, Key, Row

SLICE_RECORDS = 20_000  # records held at once while reading
FIRST_SLICE = timedelta(hours=1)
MIN_SLICE = timedelta(seconds=1)  # narrower than this, a crowded slice is read page by page
MAX_SLICES = 1_000_000


class StreamArchive:
    """Every window of a plan from one read of its span through `source.records`."""

    def __init__(self, source: MetricsSource, *, slice_records: int = SLICE_RECORDS) -> None:
        self.source, self.slice_records = source, slice_records

    def earliest(self) -> datetime | None:
        return None

    def history(self, plan: Plan | None) -> History:
        if plan is None:
            return self.source
        read = records(self.source, plan.base, plan.origin, plan.end, limit=self.slice_records)
        found = tally(plan, plan.cubes, read)
        cubes = {dims: Cube.of(plan.buckets, rows) for dims, rows in found.items()}
        return Bucketed(plan, cubes, self.source)


def tally(plan: Plan, cubes: Iterable[Dims], stream: Iterable[Record]) -> dict[Dims, list[Row]]:
    """The rows of each cube from records of the plan's span, as revenium.figures counts them
    (a record's group is its field's value, as figures.group keys it)."""
    paths = {dims: [P.param(name).field or name for name in dims] for dims in cubes}
    acc: dict[Dims, dict[tuple[int, Key], Tally]] = {dims: {} for dims in paths}
    for record in stream:
        bucket = (parse_time(record["requestTime"]) - plan.origin) // plan.step
        for dims, fields in paths.items():
            key = (bucket, tuple(field(record, path) for path in fields))
            found = acc[dims].get(key)
            if found is None:
                found = acc[dims][key] = Tally(durations=False)
            found.add(record)
    return {
        dims: [(bucket, key, t.sums()) for (bucket, key), t in rows.items()]
        for dims, rows in acc.items()
    }


def records(
    source: MetricsSource,
    base: Query,
    start: datetime,
    end: datetime,
    *,
    limit: int = SLICE_RECORDS,
) -> Iterator[Record]:
    """Every record of [start, end) that `base` matches, a slice of at most `limit` at a
    time: a slice that holds more is read again in quarters, a sparse one doubles the next."""
    length, at = FIRST_SLICE, start
    for _ in range(MAX_SLICES):
        if at >= end:
            return
        stop = min(end, at + length)
        query = base.with_window(Window(at, stop))
        found = source.records(query, limit=limit + 1)
        if len(found) > limit:
            if stop - at > MIN_SLICE:
                length = max(MIN_SLICE, (stop - at) / 4)
                continue
            yield from _pages(source, query, found, limit)
        else:
            yield from found
            if len(found) < limit // 4:
                length *= 2
        at = stop
    raise RuntimeError(f"reading a backtest's span took more than {MAX_SLICES:,} slices")


def _pages(
    source: MetricsSource, query: Query, first: list[Record], limit: int
) -> Iterator[Record]:
    """A slice too crowded to narrow further, `limit` records at a time."""
    found, offset = first[:limit], 0
    for _ in range(MAX_SLICES):
        yield from found
        if len(found) < limit:
            return
        offset += limit
        found = source.records(query, limit=limit, offset=offset)
