"""A world for alerting tests: the sandbox (spikes injected), a state db file, FakeSlack and a
FakeClock. `process()` builds fresh process objects over the same db file: a restart."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.alerts.dispatcher import Dispatcher
from bot.alerts.tick import PassReport, run_pass
from bot.config import Settings
from bot.runtime import OneDatabase, Runtime
from bot.slack.notifier import SlackNotifier
from revenium import params as P
from revenium.clock import FakeClock
from revenium.records import format_time
from revenium.sandbox.core import Sandbox
from revenium.source import MetricsSource
from revenium.sync import Reader
from rules.model import Metric, Rule
from storage import alerts as A
from storage.db import ThreadDatabases, open_db
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, client_over, empty, source_over
from tests.fakes.slack import FakeSlack

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday
CHANNEL = "C0ALERTS"
# FakeSlack's ts grow by one second per message from ts_base; put them after any fake "now"
# so that the dispatcher's look-back window (first attempt - 15 min) always includes them.
TS_BASE = 4_000_000_000
MODEL = P.param("model").name
_ids = itertools.count(1)


def record(when: datetime, cost: float, model: str = "dall-e-3", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"r{next(_ids):07d}",
        "requestTime": format_time(when),
        "totalCost": cost,
        "model": model,
        "agent": extra.pop("agent", "thumbnailer"),
        "organization": {"id": "o1", "label": extra.pop("org", "Acme Corp")},
        "requestedImageCount": 1,
        "actualImageCount": 1,
        "requestDuration": 1000,
        "errorReason": None,
        **extra,
    }


def per_minute(
    start: datetime, end: datetime, cost: float, **extra: Any
) -> Iterator[dict[str, Any]]:
    """One record a minute over [start, end), 10 s into the minute."""
    when = start + timedelta(seconds=10)
    while when < end:
        yield record(when, cost, **extra)
        when += timedelta(minutes=1)


def spend_rule(name: str = "runaway", **options: Any) -> Rule:
    values: dict[str, Any] = {"channel": CHANNEL, "by": MODEL, **options}
    return Rule(name, Metric.COST, 50.0, timedelta(hours=1), **values)


@dataclass
class World:
    tmp: Path
    slack: FakeSlack
    box: Sandbox = field(default_factory=empty)
    clock: FakeClock = field(default_factory=lambda: FakeClock(T0))
    sleeps: list[float] = field(default_factory=list)

    @property
    def db_path(self) -> Path:
        return self.tmp / "state.db"

    def process(self, holder: str = "proc-1", *, mirrored: bool = False) -> Process:
        """Fresh process objects (db connection, source, Slack client) over the same files;
        `mirrored`: figures from a mirror of the sandbox (as in production), else read live."""
        db = open_db(self.db_path)
        source: MetricsSource = source_over(self.box)
        if mirrored:
            source = MirroredSource(
                ThreadDatabases(self.tmp / "mirror.db"),
                TEAM,
                Reader(client_over(self.box)),
                source,
                self.clock,
                freshness=timedelta(seconds=60),
            )
        rt = Runtime(Settings(tz="UTC"), self.clock, source, OneDatabase(db))
        client = WebClient(token=self.slack.token, base_url=self.slack.url, retry_handlers=[])
        return Process(self, rt, SlackNotifier(client), holder)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))

    def top_level(self, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return [m for m in self.slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, ts: str, channel: str = CHANNEL) -> list[dict[str, Any]]:
        return [
            m for m in self.slack.messages(channel) if m.get("thread_ts") == ts and m["ts"] != ts
        ]


@dataclass
class Process:
    world: World
    rt: Runtime
    notifier: SlackNotifier
    holder: str
    reports: list[PassReport] = field(default_factory=list)

    @property
    def db(self) -> Any:
        return self.rt.db

    def add_rule(self, rule: Rule) -> None:
        A.add_rule(self.db, rule, self.world.clock.now())

    def tick(self, *, dispatch: bool = True) -> PassReport:
        report = run_pass(
            self.rt,
            self.notifier,
            self.world.clock.now(),
            holder=self.holder,
            sleep=self.world.sleep,
            dispatch=dispatch,
        )
        self.reports.append(report)
        return report

    def run_until(self, end: datetime, step: timedelta = timedelta(minutes=5)) -> None:
        """A pass every `step` (the scheduler's 30 s would only add passes that do nothing)."""
        for _ in range(10_000):
            if self.world.clock.now() > end:
                return
            self.tick()
            self.world.clock.set(_next_step(self.world.clock.now(), step))
        raise AssertionError("run_until did not reach its end")

    def dispatcher(self, **options: Any) -> Dispatcher:
        """A bare dispatcher over this process's db (no lease), waiting on the fake clock."""
        return Dispatcher(self.db, self.notifier, self.world.clock, self.world.sleep, **options)

    def close(self) -> None:
        self.rt.source.close()
        self.rt.db.close()


def _next_step(now: datetime, step: timedelta) -> datetime:
    """The next multiple of `step` after `now` (passes after pacing sleeps stay on the grid)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return now + (step - (now - epoch) % step)
