"""A pass over 1,000 rules: rules asking the same question share one answer, and the pass's
own work stays well under a second's order (measured ~0.15 s; the bound here is loose)."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.notifier import ConsoleNotifier
from bot.alerts.tick import run_pass
from bot.config import Settings
from bot.runtime import OneDatabase, Runtime
from revenium.clock import FakeClock
from revenium.figures import Summary, summarize
from revenium.query import Query
from rules.model import Metric, Rule
from storage import alerts as A
from storage.db import open_db
from tests.support.world import MODEL, T0

BUSY = replace(summarize(()), requests=100, cost=80.0, images=100)


class CountingSource:
    """A warm source: every answer at hand; counts the questions that reach it."""

    def __init__(self) -> None:
        self.asked: list[tuple[Query, str | None]] = []

    def summary(self, query: Query) -> Summary:
        self.asked.append((query, None))
        return BUSY

    def grouped(self, query: Query, dimension: str) -> list[tuple[Any, Summary]]:
        self.asked.append((query, dimension))
        return [("dall-e-3", BUSY), ("flux-pro", replace(BUSY, cost=1.0))]


@pytest.mark.slow
def test_a_pass_over_1000_rules_asks_each_question_once(tmp_path: Path) -> None:
    source, clock = CountingSource(), FakeClock(T0)
    db = open_db(tmp_path / "state.db")
    rt = Runtime(Settings(), clock, source, OneDatabase(db))  # type: ignore[arg-type]
    for i in range(1000):
        by = MODEL if i % 2 else None
        A.add_rule(
            db,
            Rule(
                f"r{i:04d}",
                Metric.COST,
                50.0 + i % 10,
                timedelta(hours=1),
                channel=f"C{i % 5}",
                by=by,
            ),
            T0,
        )
    out = io.StringIO()
    timings = []
    for _ in range(3):  # pending, fired (1,000 alerts queued), quiet
        started = time.perf_counter()
        report = run_pass(rt, ConsoleNotifier(out), clock.now(), dispatch=False)
        timings.append(time.perf_counter() - started)
        assert report.rules_run == 1000
        clock.advance(timedelta(minutes=5))
    # Per pass one summary and one by model; the alerts' top contributors once each: by agent
    # and org overall (by model is already known), and summary, agent, org of dall-e-3. What
    # moved them (rules/why.py), once for all 1,000: the hour before (a summary and the 8
    # dimensions) and the 5 dimensions not yet asked of this hour, overall; for dall-e-3 the
    # same without `model`: 14 + 13.
    assert len(source.asked) == 3 * 2 + 5 + 14 + 13
    assert report.queued == 0 and len(A.all_states(db)) == 1000
    assert max(timings) < 5.0, timings
