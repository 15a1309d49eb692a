"""`imgmetrics doctor` against the sandbox and the fake Slack on loopback: every check ✔ on a
good set-up; each way of getting it wrong is one ✘ that names the cause and the fix, at
most two Revenium requests, exit 1. `serve` refuses with the same words."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.checks import BOT_SCOPES
from bot.cli.main import main
from revenium.sandbox.server import SandboxServer
from rules.model import Budget, Digest, Period
from storage import alerts as A
from storage import budgets as BG
from storage import digests as D
from storage.db import open_db
from tests.fakes.revenium import KEY, OTHER_TEAM, TEAM
from tests.fakes.slack import FakeSlack, manifest_scopes
from tests.support.serving import ROOT, serve_env
from tests.support.world import CHANNEL, spend_rule

NOW = datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(auto_channels=False) as fake:
        fake.add_channel(CHANNEL, "finops")
        yield fake


def doctor(api: SandboxServer, slack: FakeSlack, db: Path, **overrides: str) -> Result:
    env = serve_env(api, slack, KEY, TEAM, db, **overrides)
    return CliRunner().invoke(main, ["doctor"], env=env)


def lines(result: Result) -> dict[str, str]:
    """Each check's line, by the check's name."""
    out = {}
    for line in result.stdout.splitlines():
        name = line[2:].split(":", 1)[0]
        out[name] = line
    return out


def test_everything_set_up_right_is_all_ticks_and_exit_0(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    db = tmp_path / "fresh" / "imgmetrics.db"
    db.parent.mkdir()
    before = live_api.sandbox.requests
    result = doctor(live_api, slack, db)
    assert result.exit_code == 0, result.output
    checks = lines(result)
    assert set(checks) == {
        "settings",
        "database",
        "Slack",
        "Slack scopes",
        "channels",
        "Revenium key",
        "Revenium team",
        "clock",
    }
    assert all(line.startswith("✔") for line in checks.values()), result.output
    assert "created and migrated" in checks["database"]  # a fresh install gets its file
    assert A.list_rules(open_db(db)) == []
    assert live_api.sandbox.requests - before == 2  # users/me, then one record of the team
    assert KEY not in result.output


def test_the_bot_must_be_in_every_channel_something_posts_to(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    slack.add_channel("C0OUTSIDE", "elsewhere", member=False)
    slack.add_channel("C0DIGEST", "digests")
    db = open_db(tmp_path / "imgmetrics.db")
    A.add_rule(db, spend_rule("inside"), NOW)
    A.add_rule(db, spend_rule("outside", channel="C0OUTSIDE"), NOW)
    BG.add_budget(db, Budget("monthly", 100.0, Period.MONTH, channel=CHANNEL), NOW)
    D.save_digest(db, Digest("C0DIGEST", time(9), NOW))
    db.close()

    result = doctor(live_api, slack, tmp_path / "imgmetrics.db")
    assert result.exit_code == 1
    line = lines(result)["channels"]
    assert line.startswith("✘") and "C0OUTSIDE (rule outside: not_in_channel)" in line
    assert "/invite" in line
    assert CHANNEL not in line and "C0DIGEST" not in line

    slack.add_channel("C0OUTSIDE", "elsewhere", member=True)  # invited
    assert lines(doctor(live_api, slack, tmp_path / "imgmetrics.db"))["channels"].startswith(
        "✔ channels: a member of all 3"
    )


def test_a_missing_scope_is_named(live_api: SandboxServer, tmp_path: Path) -> None:
    with FakeSlack(scopes=manifest_scopes() - {"files:write"}) as slack:
        result = doctor(live_api, slack, tmp_path / "imgmetrics.db")
    assert result.exit_code == 1
    line = lines(result)["Slack scopes"]
    assert line.startswith("✘ Slack scopes: not granted: files:write →")
    assert "reinstall" in line


def test_a_bad_bot_token_is_named(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    result = doctor(live_api, slack, tmp_path / "imgmetrics.db", SLACK_BOT_TOKEN="xoxb-not-this")
    assert result.exit_code == 1
    assert lines(result)["Slack"].startswith(
        "✘ Slack: Slack refused SLACK_BOT_TOKEN (invalid_auth)"
    )
    assert "xoxb-not-this" not in result.output


def test_a_bad_key_costs_one_request(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    before = live_api.sandbox.requests
    result = doctor(
        live_api, slack, tmp_path / "imgmetrics.db", REVENIUM_API_KEY="rk-wrong-key-0000"
    )
    assert result.exit_code == 1
    line = lines(result)["Revenium key"]
    assert line.startswith("✘ Revenium key: REVENIUM_API_KEY was refused (403)")
    assert "Revenium team" not in lines(result)
    assert live_api.sandbox.requests - before == 1
    assert "rk-wrong-key-0000" not in result.output


@pytest.mark.parametrize("team", [OTHER_TEAM, "not-a-hashid!"])
def test_a_wrong_team_names_the_teams_the_key_can_read(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path, team: str
) -> None:
    before = live_api.sandbox.requests
    result = doctor(live_api, slack, tmp_path / "imgmetrics.db", REVENIUM_TEAM_ID=team)
    assert result.exit_code == 1
    checks = lines(result)
    assert checks["Revenium key"].startswith("✔")
    line = checks["Revenium team"]
    assert line.startswith(f"✘ Revenium team: the key may not read team {team!r}")
    assert f"it can read {TEAM} (Sandbox team) → set REVENIUM_TEAM_ID to one of them" in line
    assert live_api.sandbox.requests - before == 2  # never retried


def test_an_unusable_database_is_named(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "volume"
    not_a_folder.write_text("a file where the volume should be mounted")
    result = doctor(live_api, slack, not_a_folder / "imgmetrics.db")
    assert result.exit_code == 1
    line = lines(result)["database"]
    assert line.startswith(f"✘ database: {not_a_folder / 'imgmetrics.db'} is not usable:")
    assert "point IMGMETRICS_DB at a writable file" in line


def test_a_file_that_is_not_a_database_is_named(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    garbage = tmp_path / "imgmetrics.db"
    garbage.write_bytes(b"not sqlite at all " * 100)
    line = lines(doctor(live_api, slack, garbage))["database"]
    assert line.startswith("✘") and "file is not a database" in line


def test_a_skewed_clock_is_named(live_api: SandboxServer, slack: FakeSlack, tmp_path: Path) -> None:
    slack.clock_offset = -120.0  # Slack's clock says two minutes earlier: ours is ahead
    result = doctor(live_api, slack, tmp_path / "imgmetrics.db")
    assert result.exit_code == 1
    line = lines(result)["clock"]
    found = re.match(r"✘ clock: (\d+) s ahead of Slack's → ", line)
    assert found and 118 <= int(found[1]) <= 123, line  # Date headers count whole seconds
    assert "NTP" in line


def test_settings_that_do_not_parse_are_one_cross(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    result = doctor(live_api, slack, tmp_path / "imgmetrics.db", IMGMETRICS_TZ="Mars/Olympus")
    assert result.exit_code == 1
    assert result.stdout.startswith("✘ settings: IMGMETRICS_TZ `Mars/Olympus` is not an IANA")


def test_missing_settings_are_named(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    result = doctor(live_api, slack, tmp_path / "imgmetrics.db", REVENIUM_TEAM_ID="")
    assert result.exit_code == 1
    assert lines(result)["settings"].startswith("✘ settings: REVENIUM_TEAM_ID not set")


def test_the_scopes_doctor_asks_for_are_the_manifests() -> None:
    assert manifest_scopes() == BOT_SCOPES


def test_serve_refuses_a_wrong_team_with_the_same_words_after_two_requests(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    env = serve_env(live_api, slack, KEY, OTHER_TEAM, tmp_path / "imgmetrics.db")
    told = doctor(live_api, slack, tmp_path / "imgmetrics.db", REVENIUM_TEAM_ID=OTHER_TEAM)
    before = live_api.sandbox.requests
    command = [sys.executable, "-m", "bot.cli", "serve", "--port", "0"]
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, timeout=30)
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 2, output
    assert lines(told)["Revenium team"] in output
    assert "Traceback" not in output
    assert (
        live_api.sandbox.requests - before == 2
    )  # not one 403 more: Revenium blocks sustained 4xx
