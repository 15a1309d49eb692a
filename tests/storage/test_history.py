"""The mirror's backtest history (storage/history.py): the code path a million-record span
takes, at a size the suite affords — one GROUP BY fetched in batches, buckets and never
records in Python, no limit on records — plus how far back it reaches, the part older than
the mirror read from the API once, and a failing store reported as the source failing."""

from __future__ import annotations

import copy
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from revenium import params as P
from revenium.clock import FakeClock
from revenium.query import Query, Window
from revenium.records import Record
from revenium.source import ApiSource
from rules.engine import SourceError
from rules.history import Bucketed
from rules.model import Metric, Rule
from rules.replay import BeyondHistory, backtest_messages, plan, run_backtest
from storage.db import ThreadDatabases
from storage.history import MirrorArchive
from storage.mirror import Mirror
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, empty, source_over
from tests.support.world import per_minute

NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
H, M = timedelta(hours=1), timedelta(minutes=1)
MODEL = P.param("model").name


class Reads(ApiSource):
    """The API source, recording every read of records (window, how many came back)."""

    def __init__(self, inner: ApiSource, *, refuse: bool = False) -> None:
        super().__init__(inner.client)
        self.reads: list[tuple[Window, int]] = []
        self.refuse = refuse

    def records(self, query: Query, *, limit: int, offset: int = 0) -> list[Record]:
        assert not self.refuse, "the mirror holds this span: no record should be read"
        found = super().records(query, limit=limit, offset=offset)
        assert query.window is not None
        self.reads.append((query.window, len(found)))
        return found

    def summary(self, query: Query) -> Any:
        assert not self.refuse, "the mirror holds this span: nothing should reach the API"
        return super().summary(query)


def mirrored(tmp_path: Path, records: list[Record], api: ApiSource, kept: timedelta) -> Any:
    dbs = ThreadDatabases(tmp_path / "m.db")
    clock = FakeClock(NOW)
    mirror = Mirror(dbs.get(), clock)
    mirror.upsert(TEAM, records)
    mirror.set_coverage(TEAM, NOW - 3 * 24 * H, NOW)

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("the mirror is warm: nothing should sync")

    return MirroredSource(dbs, TEAM, never, api, clock, freshness=24 * H, history=kept)


def traffic() -> list[Record]:
    """Three days at $0.50 a minute on three models, and a $3 a minute hour on dall-e-3."""
    out = []
    for model in ("dall-e-3", "gpt-image-1", "flux-pro"):
        out += per_minute(NOW - 72 * H, NOW, 0.5, model=model)
    out += per_minute(NOW - 30 * H, NOW - 29 * H, 3.0)
    return out


def test_a_span_is_summed_in_sql_in_batches_and_no_record_reaches_python(tmp_path: Path) -> None:
    box = empty()
    records = traffic()
    box.add_records(records)
    api = Reads(source_over(box), refuse=True)
    source = mirrored(tmp_path, records, api, kept=70 * H)
    rule = Rule("spike", Metric.COST, 50.0, H, by=MODEL, channel="C1")
    archive = MirrorArchive(source, fetch_rows=7)  # many batches, as at a million records
    p = plan(rule, NOW - 48 * H, NOW)
    assert p is not None
    history = archive.history(p)
    assert isinstance(history, Bucketed)
    assert len(history.cubes[p.main]) <= p.buckets * 3  # buckets × models, never records
    result = run_backtest(rule, archive, Window(NOW - 48 * H, NOW))
    [fired] = result.episodes
    # $30 an hour, and $3 a minute from 06:00: past $50 in the window ending 06:10, at the
    # 06:15 slot; fired at the second breach.
    assert (fired.group, fired.fired_at) == ("dall-e-3", NOW - 30 * H + 20 * M)
    assert fired.peak == pytest.approx(3.0 * 60 + 0.5 * 60)
    assert fired.resolved_at is not None and len(result.messages) == 2
    [note] = [n for _, n in result.messages if n.kind.value == "fired"]
    assert [c.value for c in note.contributors] == ["thumbnailer", "Acme Corp"]  # the mirror's


def test_a_span_older_than_the_mirror_is_read_from_the_api_once(tmp_path: Path) -> None:
    box = empty()
    records = traffic()
    box.add_records(records)
    api = Reads(source_over(box))
    source = mirrored(tmp_path, records, api, kept=40 * H)
    archive = MirrorArchive(source)
    rule = Rule("spike", Metric.COST, 50.0, H, by=MODEL, channel="C1")
    start = NOW - 40 * H  # the first windows reach 65 min further back than the mirror
    [fired, _] = backtest_messages(rule, archive, start, NOW)
    assert fired[1].group == "dall-e-3"
    windows = sorted((w for w, _ in api.reads), key=lambda w: w.start)
    assert windows[0].start == start - 65 * M and windows[-1].end == start
    assert all(a.end == b.start for a, b in pairwise(windows))  # each instant read once


def test_a_backtest_reaches_back_as_far_as_the_mirror_keeps(tmp_path: Path) -> None:
    box = empty()
    source = mirrored(tmp_path, [], source_over(box), kept=48 * H)
    archive = MirrorArchive(source)
    rule = Rule("spike", Metric.COST, 50.0, H, tz="Europe/Berlin")
    assert backtest_messages(rule, archive, NOW - 48 * H, NOW) == []
    with pytest.raises(BeyondHistory) as refused:
        backtest_messages(rule, archive, NOW - 72 * H, NOW)
    assert str(refused.value) == (
        "history is kept for the last 2 days: a backtest can reach back to 2026-11-03 13:00"
        " (Europe/Berlin) at the earliest — ask for `last 2d` or less"
    )


class Unreadable(ThreadDatabases):
    """Connections that may not read the records table, as a failing disk would not."""

    def get(self) -> Database:
        db = super().get()
        db.conn.set_authorizer(self.refuse)
        return db

    @staticmethod
    def refuse(action: int, table: str | None, *_: Any) -> int:
        refused = action == sqlite3.SQLITE_READ and table == "records"
        return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK


def test_a_failing_store_is_the_source_failing(tmp_path: Path) -> None:
    source = mirrored(tmp_path, traffic(), source_over(empty()), kept=70 * H)
    source.dbs = Unreadable(tmp_path / "m.db")
    rule = Rule("spike", Metric.COST, 50.0, H)
    with pytest.raises(SourceError, match=r"local store: access to records\.t is prohibited"):
        backtest_messages(rule, MirrorArchive(source), NOW - 2 * H, NOW)


def test_one_connection_for_every_thread_is_read_on_the_asking_thread(tmp_path: Path) -> None:
    records = traffic()
    box = empty()
    box.add_records(records)
    threaded = mirrored(tmp_path, records, source_over(box), kept=70 * H)
    one = copy.copy(threaded)
    one.dbs = One(threaded.dbs.get())  # an in-memory state db is one connection
    rule = Rule("spike", Metric.COST, 50.0, H, by=MODEL)
    start = NOW - 36 * H
    expected = backtest_messages(rule, MirrorArchive(threaded), start, NOW)
    assert expected and backtest_messages(rule, MirrorArchive(one), start, NOW) == expected


@dataclass
class One:
    db: Database

    def get(self) -> Database:
        return self.db
