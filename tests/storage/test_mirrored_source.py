"""MirroredSource: warm answers cost no request, stale ones one incremental sync, and the
mirror, the sandbox and a plain-Python filter agree on what every query means."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revenium import params as P
from revenium.clock import FakeClock
from revenium.figures import summarize
from revenium.query import Query, Strict, Window
from revenium.records import Record, format_time, parse_time
from revenium.sandbox.core import Sandbox
from revenium.source import ApiSource
from revenium.sync import Reader
from storage.db import ThreadDatabases
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, client_over, seeded
from tests.support import oracle
from tests.support.mirror import close

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
FRESH = timedelta(seconds=60)


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    # Unpaced clients and no real sleeps: the sandbox's 100 req/s ceiling would answer 429
    # to a fast run of the property test below (rate limits are tested in test_client_*).
    sandbox = seeded(
        end=NOW,
        seed=3,
        days=40,
        per_day=60,
    )
    yield sandbox
    sandbox.close()


def source(box: Sandbox, path: Path, clock: FakeClock) -> MirroredSource:
    client = client_over(box)
    return MirroredSource(
        ThreadDatabases(path),
        TEAM,
        Reader(client, {"page_size": 200}),
        ApiSource(client),
        clock,
        freshness=FRESH,
    )


def window(days: float, end: datetime = NOW) -> Window:
    return Window(end - timedelta(days=days), end, "UTC", f"last {days}d")


def test_warm_answers_cost_no_request(box: Sandbox, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    first = src.summary(Query(window=window(30)))
    after_sync = box.requests
    clock.advance(timedelta(seconds=30))
    for days in (30, 7, 1, 0.5):
        src.summary(Query(window=window(days, clock.now())))
    src.grouped(Query(window=window(7, clock.now())), "model")
    assert box.requests == after_sync
    assert src.as_of() == NOW
    kept = [r for r in box.records() if NOW - timedelta(days=30) <= parse_time(r["requestTime"])]
    assert close(first, summarize(kept))


def test_a_stale_mirror_reads_only_since_its_watermark_and_catches_late_rows(
    box: Sandbox, tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    src.summary(Query(window=window(7)))
    cold = box.requests
    late = {
        "id": "LateRow01",
        "requestTime": "2026-11-25T11:55:00.000Z",
        "totalCost": 7.5,
        "actualImageCount": 3,
        "requestedImageCount": 3,
        "model": "dall-e-3",
    }
    box.add_records([late])
    clock.advance(timedelta(minutes=5))  # past freshness: the next answer syncs
    s = src.summary(Query(window=window(1, clock.now())))
    assert box.requests - cold <= 3  # one small slice since the watermark, not the history
    assert src.get("LateRow01")["totalCost"] == 7.5
    assert close(
        s,
        summarize(
            r
            for r in box.records()
            if clock.now() - timedelta(days=1) <= parse_time(r["requestTime"])
        ),
    )


def test_windows_older_than_the_history_go_to_the_api(box: Sandbox, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    old = Window(NOW - timedelta(days=39), NOW - timedelta(days=37), "UTC", "old")
    before = box.requests
    s = src.summary(Query(filters=(("model", "sdxl"),), window=old))
    assert box.requests - before <= 2  # a pushed-down query, no sync of the history
    assert src.as_of() is None  # and the answer says it was read live
    want = [
        r
        for r in box.records()
        if r["model"] == "sdxl" and old.contains(parse_time(r["requestTime"]))
    ]
    assert close(s, summarize(want))


def test_concurrent_askers_share_one_sync(box: Sandbox, tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    src = source(box, tmp_path / "m.db", clock)
    src.summary(Query(window=window(1)))  # warm once, so the file and schema exist
    clock.advance(timedelta(minutes=10))
    before = box.requests
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait(timeout=10)
        src.summary(Query(window=window(1, clock.now())))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert box.requests - before <= 3  # one incremental sync, not eight


# -- mirror SQL, sandbox and plain Python agree --------------------------------------------

VALUES = {
    "model": ["dall-e-3", "gpt-image-1", "sdxl", "no-such-model"],
    "provider": ["OPENAI", "fal_ai", "VERTEX_AI"],
    "environment": ["production", "staging", "test"],
    "operationSubtype": ["generation", "edit"],
    "quality": ["hd", "standard", "high"],
    "billingSkipped": [True, False],
    "traceType": ["unknown"],
}


@st.composite
def queries(draw: st.DrawFn) -> Query:
    names = draw(st.lists(st.sampled_from(sorted(VALUES)), max_size=2, unique=True))
    filters: list[tuple[str, str | bool | int | float]] = [
        (n, draw(st.sampled_from(VALUES[n]))) for n in names
    ]
    strict: tuple[Strict, ...] = ()
    if draw(st.booleans()):
        low = draw(st.sampled_from([0.02, 0.04, 0.08]))
        filters.append((P.param("totalCostMin").name, low))
        strict = (Strict("totalCost", ">", low),) if draw(st.booleans()) else ()
    if draw(st.booleans()):
        filters.append((P.param("actualImageCountMax").name, draw(st.integers(0, 3))))
    hours = draw(st.integers(1, 24 * 30))
    back = draw(st.integers(0, 24 * 3))
    end = NOW - timedelta(hours=back)
    return Query(filters=tuple(filters), window=window(hours / 24, end), strict=strict)


@pytest.fixture(scope="module")
def moving() -> Iterator[Sandbox]:
    """A sandbox whose records, after the mirror's first read, arrive late and change."""
    sandbox = seeded(end=NOW, seed=8, days=40, per_day=60)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def warm(moving: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> MirroredSource:
    """The mirror of `moving` after its first read, late records (5 min to 10 days late) and
    changes in place (costs, one time moved) within the last 48 h, and the syncs after."""
    clock = FakeClock(NOW)
    src = source(moving, tmp_path_factory.mktemp("warm") / "m.db", clock)
    src.summary(Query(window=window(30)))
    rng = random.Random(8)
    kept = moving.records()
    recent = [r for r in kept if NOW - parse_time(r["requestTime"]) < timedelta(hours=46)]
    changed = [{**r, "totalCost": round(rng.uniform(0, 0.2), 3)} for r in rng.sample(recent, 20)]
    changed[0] = {**changed[0], "requestTime": format_time(NOW - timedelta(hours=5))}
    moving.replace_records(changed)
    ages = [timedelta(minutes=5), timedelta(hours=2), timedelta(hours=30), timedelta(days=10)]
    model = P.param("model").field or ""
    late = [
        {**rng.choice(kept), "id": f"Late{i:03d}", "requestTime": format_time(NOW - age)}
        for i, age in enumerate(ages * 3)
    ]
    moving.add_records([{**r, model: rng.choice(VALUES["model"])} for r in late])
    for _ in range(60):  # an hour of syncs: every hour of the last 48 read again
        clock.advance(timedelta(seconds=61))
        src.summary(Query(window=window(1, clock.now())))
    return src


class Records(list[Record]):
    """The sandbox's records, shown briefly: Hypothesis sometimes prints a test's arguments,
    and the list's own 1 MB repr made it warn, which failed the test (now and then)."""

    def __repr__(self) -> str:
        return f"<{len(self):,} sandbox records>"


@pytest.fixture(scope="module")
def every(moving: Sandbox, warm: MirroredSource) -> Records:
    return Records(moving.records())  # once the mirror saw the late and changed records


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=queries())
def test_mirror_sandbox_and_plain_python_agree(
    every: Records, warm: MirroredSource, query: Query
) -> None:
    params = dict(query.api_params(TEAM))
    plain = [r for r in every if oracle.matches(params, r) and query.accepts(r)]
    assert query.window is not None
    plain = [r for r in plain if query.window.contains(parse_time(r["requestTime"]))]
    from_mirror = warm.summary(query)
    from_api = warm.fallback.summary(query)
    assert close(from_mirror, summarize(plain))
    assert close(from_api, summarize(plain))
    ids = {r["id"] for r in warm.records(query, limit=10_000)}
    assert ids == {r["id"] for r in plain}
