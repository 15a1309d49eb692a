"""A backtest's plan and its bucketed history: the grid every window falls on, which
questions the buckets answer (and which go to the source), and a span read from a
MetricsSource in bounded slices, however many records it holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from revenium import params as P
from revenium.figures import ranked, summarize
from revenium.query import Query, Strict, Window
from revenium.records import Record
from revenium.source import ApiSource
from rules.history import Bucketed, Plan
from rules.model import Baseline, Metric, Rule
from rules.replay import plan
from rules.streamed import StreamArchive, records
from rules.sums import Cube
from tests.fakes.revenium import empty, source_over
from tests.support.world import per_minute, record

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
M, H = timedelta(minutes=1), timedelta(hours=1)
MODEL, AGENT, ENV = (P.param(n).name for n in ("model", "agent", "environment"))
PACKAGES = ("bot", "rules", "storage", "revenium", "benchmarks")


def spend(**options: Any) -> Rule:
    values: dict[str, Any] = {"name": "r", "kind": Metric.COST, "threshold": 50.0, "per": H}
    return Rule(**{**values, **options})


def test_the_grid_is_the_largest_step_every_window_of_the_replay_falls_on() -> None:
    every_5 = plan(spend(), T0, T0 + 2 * H)
    assert every_5 is not None
    assert (every_5.origin, every_5.step) == (T0 - 65 * M, 5 * M)  # first window: -65..-5 min
    assert every_5.end == T0 + 2 * H - 10 * M  # the last slot is 5 min before the end
    assert plan(spend(every="*/20 * * * *", settle=timedelta(0)), T0, T0 + 3 * H).step == 20 * M  # type: ignore[union-attr]
    odd = plan(spend(per=timedelta(seconds=90), every=timedelta(minutes=2)), T0, T0 + H)
    assert odd is not None and odd.step == timedelta(seconds=30)  # gcd(90 s, 2 min)
    change = spend(kind=Metric.CHANGE, baseline=Baseline(shift=timedelta(days=1)), threshold=20)
    shifted = plan(change, T0, T0 + H)
    assert shifted is not None and shifted.origin == T0 - 24 * H - 65 * M
    assert plan(spend(), T0 + M, T0 + 3 * M) is None  # no slot to replay


def test_a_grid_too_fine_to_bucket_is_asked_window_by_window() -> None:
    fine = spend(per=timedelta(days=20, microseconds=7), every=timedelta(minutes=1))
    assert plan(fine, T0, T0 + H) is None


def test_contributor_cubes_follow_the_rules_group_when_buckets_can_match_it() -> None:
    org = P.param("organizationName").name
    assert plan(spend(), T0, T0 + H).extra == ((AGENT,), (MODEL,), (org,))  # type: ignore[union-attr]
    by_model = plan(spend(by=MODEL), T0, T0 + H)
    assert by_model is not None and by_model.main == (MODEL,)
    assert by_model.extra == ((AGENT, MODEL), (MODEL, org))
    assert plan(spend(by=ENV), T0, T0 + H).extra == ()  # type: ignore[union-attr]  # enums match case-insensitively


def grid(**base: Any) -> Plan:
    return Plan(Query(**base), T0, 5 * M, 24, (MODEL,), ((AGENT, MODEL),))


def test_the_buckets_answer_only_windows_on_the_grid_with_the_rules_filters() -> None:
    p = grid(filters=((ENV, "production"),))
    assert p.span(Window(T0 + 10 * M, T0 + H)) == (2, 12)
    assert p.span(Window(T0 + 11 * M, T0 + H)) is None  # off the grid
    assert p.span(Window(T0 - 5 * M, T0 + H)) is None  # before the span
    assert p.span(Window(T0, T0 + 3 * H)) is None  # after it
    assert p.extras(Query(filters=((ENV, "production"),))) == {}
    assert p.extras(Query(filters=((ENV, "production"), (MODEL, "x")))) == {MODEL: "x"}
    assert p.extras(Query()) is None  # the rule's own filter left out: another question
    assert p.extras(Query(filters=((ENV, "staging"),))) is None
    assert p.extras(Query(filters=((ENV, "production"), (ENV.lower(), "x")))) is None
    strict = (Strict(P.BY_NAME["totalCostMin"].field or "", ">", 1.0),)
    assert p.extras(Query(filters=((ENV, "production"),), strict=strict)) is None
    assert (p.first_from(T0 - H), p.first_from(T0 + 7 * M), p.first_from(T0 + 9 * H)) == (0, 2, 24)


class Asked:
    """A History that records what reached it."""

    def __init__(self) -> None:
        self.asked: list[tuple[Query, str | None]] = []

    def summary(self, query: Query) -> Any:
        self.asked.append((query, None))
        return summarize(())

    def grouped(self, query: Query, dimension: str) -> list[Any]:
        self.asked.append((query, dimension))
        return []


def test_a_window_sums_its_buckets_and_anything_else_goes_to_the_source() -> None:
    sums = (1, 1, 1, 0.5, 0, 0.0, 0)
    cube = Cube.of(24, [(b, ("a",), sums) for b in range(24)] + [(3, ("b",), sums)])
    pairs = Cube.of(24, [(b, ("x", m), sums) for b in range(24) for m in ("a", "b")])
    rest = Asked()
    history = Bucketed(grid(), {(MODEL,): cube, (AGENT, MODEL): pairs}, rest)
    window = Window(T0, T0 + H)
    rows = history.grouped(Query(window=window), MODEL)
    assert [(v, s.requests, s.cost) for v, s in rows] == [("a", 12, 6.0), ("b", 1, 0.5)]
    assert rows == ranked(rows)
    assert history.summary(Query(filters=((MODEL, "b"),), window=window)).requests == 1
    assert history.summary(Query(filters=((MODEL, "c"),), window=window)) == summarize(())
    by_agent = history.grouped(Query(filters=((MODEL, "a"),), window=window), AGENT)
    assert [(v, s.requests) for v, s in by_agent] == [("x", 12)]
    assert rest.asked == []
    history.grouped(Query(window=window), AGENT)  # no cube of agents alone
    history.summary(Query(window=Window(T0 + M, T0 + H)))  # off the grid
    assert [d for _, d in rest.asked] == [AGENT, None]


def test_a_span_is_read_once_in_slices_that_hold_a_bounded_number_of_records() -> None:
    box = empty()
    box.add_records(per_minute(T0, T0 + 6 * H, 1.0))
    crowd = T0 + 2 * H + timedelta(milliseconds=300)
    box.add_records(record(crowd, 0.5) for _ in range(35))  # 35 records in one millisecond
    source = Counting(source_over(box))
    read = list(records(source, Query(), T0, T0 + 6 * H, limit=10))
    assert sorted(r["id"] for r in read) == sorted(r["id"] for r in box.records())
    assert len(read) == 6 * 60 + 35
    assert max(source.sizes) <= 11  # never more than a slice (and the one that shows it is full)


class Counting:
    """A MetricsSource that records how many records each read returned."""

    def __init__(self, inner: ApiSource) -> None:
        self.inner, self.sizes = inner, list[int]()

    def records(self, query: Query, *, limit: int, offset: int = 0) -> list[Record]:
        found = self.inner.records(query, limit=limit, offset=offset)
        self.sizes.append(len(found))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_stream_archive_has_no_limit_and_no_refusal() -> None:
    box = empty()
    box.add_records(per_minute(T0 - 2 * H, T0 + 4 * H, 1.0))
    archive = StreamArchive(source_over(box), slice_records=25)
    assert archive.earliest() is None
    p = plan(spend(), T0, T0 + 3 * H)
    history = archive.history(p)
    assert history.summary(Query(window=Window(T0, T0 + H))).requests == 60


def test_no_backtest_is_refused_for_the_records_its_span_holds() -> None:
    """The old 300,000-record refusal is gone, error type and words (bot/errors.py too)."""
    root = Path(__file__).resolve().parents[2]
    code = [p.read_text() for top in PACKAGES for p in (root / top).rglob("*.py")]
    assert not [text for text in code if "records in the backtest's span" in text]
    assert not [text for text in code if "TooMuchHistory" in text or "MAX_RECORDS" in text]
