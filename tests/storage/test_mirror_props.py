"""The mirror's SQL agrees with revenium.figures over the plain-Python filtered records.

For random filter sets, strict bounds, windows, groupings, sorts and zones, every
read of the mirror equals what figures.py computes over the records tests/oracle.py
says the API would return. Queries are biased towards ones the rollups can answer,
and a second mirror holds the same rows with some hours' rollups stale (read raw).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenium import params as P
from revenium.figures import group, summarize
from revenium.query import Query, Strict, Window
from revenium.records import Record, field
from storage import rollups as R
from storage.db import open_db
from storage.mirror import Mirror
from tests.support import mirror as K

TEAM, OTHER = "TEAMA", "TEAMB"
RECORDS = K.make_records(seed=11, count=1500)
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ("UTC", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe")


@functools.cache
def mirrors() -> tuple[Mirror, Mirror]:
    """(fully rolled up, partly stale); each also holds another team's rows.

    The second mirror first held other versions of a third of the records (other
    costs, durations, models) and was rolled up; then the true versions were
    written without rebuilding the rollups, so those hours are dirty and their
    rollup rows stale: correct answers must read those hours raw.
    """
    out = []
    for stale in (False, True):
        mirror = Mirror(open_db(":memory:"))
        mirror.upsert(OTHER, K.make_records(seed=12, count=300, prefix="r"), batch=400)
        if stale:
            changed = [r for r in RECORDS if r["requestTime"][12] in "0369"]  # hours x0, x3, ...
            ids = {r["id"] for r in changed}
            mirror.upsert(TEAM, [_altered(r) for r in changed], batch=400)
            mirror.upsert(TEAM, [r for r in RECORDS if r["id"] not in ids], batch=400)
            mirror.upsert(TEAM, changed, refresh=False)  # as if interrupted before the rebuild
            assert mirror.db.conn.execute("SELECT COUNT(*) FROM mirror_dirty").fetchone()[0] > 5
        else:
            mirror.upsert(TEAM, RECORDS, batch=400)
        out.append(mirror)
    return out[0], out[1]


def _altered(record: Record) -> Record:
    model = P.param("model").field or ""
    return {**record, K.COST or "": 1.0, K.DURATION or "": 7, model: "other-model"}


def _value(p: P.Param) -> st.SearchStrategy[Any]:
    if p.role in (P.Role.MIN, P.Role.MAX):
        path = p.field
        if path == K.DURATION:
            return st.integers(0, 121 * 250)
        if path == K.COST:
            return st.integers(0, 330).map(lambda k: k / 64) | st.floats(0, 5.5).map(
                lambda x: round(x, 3)
            )
        return st.integers(0, 5)
    if p.kind is P.Kind.BOOL:
        return st.booleans()
    values = [v for v in K.pool(p) if v] + ["nope"]
    if p.kind is P.Kind.ENUM:
        return st.sampled_from(values).flatmap(lambda v: st.sampled_from([v, v.lower(), v.upper()]))
    return st.sampled_from(values)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    unit = draw(st.sampled_from([1, 60_000, 1_800_000, 3_600_000]))  # ms, minute, half hour, hour
    start = draw(st.integers(-3, 80 * 3_600_000 // unit)) * unit
    length = draw(st.integers(1, 80 * 3_600_000 // unit)) * unit
    begin = K.BASE + timedelta(milliseconds=start)
    return Window(begin, begin + timedelta(milliseconds=length))


@st.composite
def queries(draw: st.DrawFn, rollup_friendly: bool | None = None) -> Query:
    friendly = draw(st.booleans()) if rollup_friendly is None else rollup_friendly
    if friendly:
        names = draw(st.lists(st.sampled_from(R.DIMS), max_size=1))
        strict: list[Strict] = []
    else:
        names = draw(
            st.lists(st.sampled_from([p.name for p in P.FILTERS]), max_size=3, unique=True)
        )
        strict = draw(st.lists(_strict(), max_size=1))
    filters = tuple((name, draw(_value(P.param(name)))) for name in names)
    return Query(filters=filters, window=draw(windows()), strict=tuple(strict))


@st.composite
def _strict(draw: st.DrawFn) -> Strict:
    lo, _ = draw(st.sampled_from(sorted(P.COMPARISONS.values(), key=lambda pair: pair[0].name)))
    value = draw(_value(lo))
    return Strict(lo.field or "", draw(st.sampled_from([">", "<"])), float(value))


def _dimension(query: Query) -> st.SearchStrategy[str]:
    names = [name for name, _ in query.filters if name in R.DIMS]
    groupable = [p.name for p in P.FILTERS if p.role is P.Role.FILTER]
    return st.sampled_from(names or list(R.DIMS)) | st.sampled_from(groupable)


@SETTINGS
@given(query=queries(), stale=st.booleans())
def test_summary_equals_figures(query: Query, stale: bool) -> None:
    mirror = mirrors()[stale]
    assert mirror.summary(TEAM, query) == summarize(K.expected(query, RECORDS))


@SETTINGS
@given(data=st.data(), query=queries(), stale=st.booleans())
def test_grouped_equals_figures(data: st.DataObject, query: Query, stale: bool) -> None:
    dimension = data.draw(_dimension(query))
    path = P.param(dimension).field
    assert path is not None
    got = mirrors()[stale].grouped(TEAM, query, dimension)
    assert got == group(K.expected(query, RECORDS), path)


SORTABLE = ("requestTime", K.COST, K.DURATION, P.param("model").field)


def _reference_order(records: list[Record], order: tuple[tuple[str, str], ...]) -> list[str]:
    """SQLite's order: NULLs first ascending, last descending; ties by id in the last direction."""
    rows = sorted(records, key=lambda r: r["id"], reverse=order[-1][1] == "desc")
    for prop, direction in reversed(order):  # stable sorts, least significant key first
        rows.sort(key=_nulls_first(prop), reverse=direction == "desc")
    return [r["id"] for r in rows]


def _nulls_first(prop: str) -> Callable[[Record], tuple[bool, Any]]:
    def key(record: Record) -> tuple[bool, Any]:
        value = field(record, prop)
        return (value is not None, value if value is not None else 0)

    return key


@SETTINGS
@given(
    query=queries(),
    order=st.lists(
        st.tuples(st.sampled_from(SORTABLE), st.sampled_from(["asc", "desc"])),
        max_size=2,
        unique_by=lambda pair: pair[0],
    ),
    offset=st.integers(0, 30),
)
def test_records_match_the_filter_and_order(
    query: Query, order: list[tuple[str, Any]], offset: int
) -> None:
    mirror = mirrors()[0]
    spec = tuple(order) or (("requestTime", "desc"),)
    want = _reference_order(K.expected(query, RECORDS), spec)
    got = mirror.records(TEAM, query, limit=25, offset=offset, order=tuple(order) or None)
    assert [r["id"] for r in got] == want[offset : offset + 25]
    assert all(r == K.as_held(next(x for x in RECORDS if x["id"] == r["id"])) for r in got[:3])


@SETTINGS
@given(
    query=queries(),
    bucket=st.sampled_from(["hour", "day"]),
    tz=st.sampled_from(ZONES),
    stale=st.booleans(),
)
def test_series_equals_bucketed_figures(query: Query, bucket: Any, tz: str, stale: bool) -> None:
    got = mirrors()[stale].series(TEAM, query, bucket, tz)
    assert got == K.expected_series(query, RECORDS, bucket, tz)


def test_rollups_answer_most_generated_queries() -> None:
    """The property tests above do exercise the rollup path (not only raw rows)."""
    window = Window(K.BASE, K.BASE + timedelta(days=2))
    assert R.cube(Query(window=window), None) == R.TOTAL
    assert R.cube(Query(window=window), R.DIMS[0]) == R.DIMS[0]
    model = P.param("model").name
    assert R.cube(Query(filters=((model, "x"),), window=window), model) == model
    env = P.param("environment").name
    assert R.cube(Query(filters=((env, "x"),), window=window), model) is None
