"""`imgmetrics ask why …` and `summary this month` end to end over a sandbox on loopback: the
change and every value's part equal a plain computation over the records, each dimension's
parts add up to the change to the cent, and the month-end forecast names its method."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from revenium import params as P
from revenium.records import Record, field, parse_time
from revenium.sandbox.server import SandboxServer, serve
from rules.why import DIMENSIONS
from tests.fakes.revenium import KEY, TEAM, seeded

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
D = timedelta(days=1)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """30 days of 200 requests up to NOW, served on loopback."""
    with serve(seeded(end=NOW, seed=16, days=30, per_day=200, rate_per_s=10_000)) as running:
        yield running
    running.sandbox.close()


@pytest.fixture(scope="module")
def records(server: SandboxServer) -> list[Record]:
    return server.sandbox.records()


def ask(server: SandboxServer, *words: str) -> dict[str, Any]:
    env = {
        "REVENIUM_API_URL": server.url,
        "REVENIUM_API_KEY": KEY,
        "REVENIUM_TEAM_ID": TEAM,
        "IMGMETRICS_TZ": "UTC",
        "IMGMETRICS_DB": ":memory:",
    }
    args = ["ask", *words, "--json", "--now", NOW.isoformat()]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def spend(records: list[Record], start: datetime, end: datetime, path: str) -> dict[Any, float]:
    out: dict[Any, float] = defaultdict(float)
    for r in records:
        if start <= parse_time(r["requestTime"]) < end:
            out[field(r, path)] += r.get("totalCost") or 0.0
    return out


def check(
    data: dict[str, Any],
    records: list[Record],
    after: tuple[datetime, datetime],
    before: tuple[datetime, datetime],
    dims: tuple[str, ...],
) -> None:
    change = data["change"]
    total = {w: sum(spend(records, *w, "model").values()) for w in (before, after)}
    assert change["before"] == pytest.approx(total[before], abs=1e-6)
    assert change["after"] == pytest.approx(total[after], abs=1e-6)
    assert change["delta"] == pytest.approx(total[after] - total[before], abs=1e-6)
    parts = data["contributions"]
    assert [abs(p["delta"]) for p in parts] == sorted(
        (abs(p["delta"]) for p in parts), reverse=True
    )
    for dim in dims:
        path = P.param(dim).field
        assert path is not None
        was, now = spend(records, *before, path), spend(records, *after, path)
        mine = {p["value"]: p for p in parts if p["dimension"] == dim}
        assert mine, dim
        for value, p in mine.items():
            assert p["before"] == pytest.approx(was.get(value, 0.0), abs=1e-5)
            assert p["after"] == pytest.approx(now.get(value, 0.0), abs=1e-5)
            assert p["volume"] + p["price"] == pytest.approx(p["delta"], abs=2e-6)
        # Exactly, to the micro-dollar (decimal sums: floats would blur a half cent).
        assert sum(Decimal(str(p["delta"])) for p in mine.values()) == Decimal(str(change["delta"]))


def test_why_last_7d_against_the_7_days_before(
    server: SandboxServer, records: list[Record]
) -> None:
    answer = ask(server, "why", "last", "7d")
    data = answer["data"]
    assert data["versus"] == {"start": (NOW - 14 * D).isoformat(), "end": (NOW - 7 * D).isoformat()}
    check(data, records, (NOW - 7 * D, NOW), (NOW - 14 * D, NOW - 7 * D), DIMENSIONS)
    assert answer["text"].startswith("Why spend changed · last 7 days")


def test_why_yesterday_vs_last_week_by_model_with_a_filter(
    server: SandboxServer, records: list[Record]
) -> None:
    data = ask(server, "why", "yesterday", "vs", "last", "week", "env:production", "by", "model")
    kept = [r for r in records if r.get("environment") == "production"]
    day = datetime(2026, 11, 24, tzinfo=UTC)
    check(data["data"], kept, (day, day + D), (day - 7 * D, day - 6 * D), ("model",))
    assert {p["dimension"] for p in data["data"]["contributions"]} == {"model"}


def test_this_month_answers_carry_the_month_end_forecast(
    server: SandboxServer, records: list[Record]
) -> None:
    data = ask(server, "summary", "this", "month")["data"]
    month = (datetime(2026, 11, 1, tzinfo=UTC), NOW)
    so_far = sum(spend(records, *month, "model").values())
    week = sum(spend(records, NOW - 7 * D, NOW, "model").values())
    forecast = data["forecast"]
    assert forecast["method"] == "month to date + the last 7 days' pace × days left"
    assert forecast["so_far"] == pytest.approx(so_far, abs=1e-6)
    assert forecast["days_left"] == pytest.approx(5.5)  # Nov 25 12:00 to Dec 1 00:00
    assert forecast["value"] == pytest.approx(so_far + week / 7 * 5.5, abs=1e-5)
    assert "forecast" not in ask(server, "summary", "last", "7d")["data"]
