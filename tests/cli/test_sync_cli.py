"""`imgmetrics sync`: fills the mirror with a progress bar, so later answers cost no request."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.console import SyncProgress
from bot.cli.main import main
from revenium.sandbox.core import Sandbox
from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import KEY, TEAM, seeded


@pytest.fixture
def api() -> Iterator[tuple[Sandbox, SandboxServer]]:
    box = seeded(end=datetime.now(UTC), seed=4, days=8, per_day=300, rate_per_s=10_000)
    with serve(box) as server:
        yield box, server
    box.close()


def test_sync_then_ask_reads_nothing_more(
    api: tuple[Sandbox, SandboxServer], tmp_path: Path
) -> None:
    box, server = api
    env = {
        "REVENIUM_API_URL": server.url,
        "REVENIUM_API_KEY": KEY,
        "REVENIUM_TEAM_ID": TEAM,
        "IMGMETRICS_DB": str(tmp_path / "m.db"),
    }
    synced = CliRunner().invoke(main, ["sync", "--since", "35d"], env=env)
    assert synced.exit_code == 0, synced.output
    assert "2400/2400" in synced.output.replace(",", "")  # every record, shown on the bar
    before = box.requests
    asked = CliRunner().invoke(main, ["ask", "summary", "last", "7d", "--json"], env=env)
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["data"]["summary"]["requests"] > 0
    assert box.requests == before


def test_a_bad_span_is_refused_before_anything_is_read(api: tuple[Sandbox, SandboxServer]) -> None:
    box, server = api
    result = CliRunner().invoke(
        main, ["sync", "--since", "90d"], env={"REVENIUM_API_URL": server.url}
    )
    assert result.exit_code == 2
    assert "up to 35d" in result.output
    assert box.requests == 0


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_console_shows_a_long_sync_sparingly() -> None:
    out = Terminal()
    show = SyncProgress(out)
    for done in (0, 1000, 5000, 6000, 12_000, 12_000):
        show(done, 12_000 if done else 0)
    assert out.getvalue() == (
        "\rsyncing the mirror: 5,000 of 12,000 records"
        "\rsyncing the mirror: 12,000 of 12,000 records\n"
    )


def test_a_log_gets_only_the_last_line_of_a_sync() -> None:
    out = io.StringIO()
    show = SyncProgress(out)
    for done in (0, 5000, 10_000, 12_000):
        show(done, 12_000 if done else 0)
    assert out.getvalue() == "\rsyncing the mirror: 12,000 of 12,000 records\n"
