"""`imgmetrics ask` for rules: `--user U` is checked like a Slack user (IMGMETRICS_ADMINS,
else users.info when a bot token is set, else a refusal saying how to name admins);
without `--user` the shell operator acts, and passes even when IMGMETRICS_ADMINS is set.
Refusals exit 2; changes persist in IMGMETRICS_DB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from revenium.sandbox.server import SandboxServer, serve
from storage.audit import audit_log
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, seeded
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULE = ["rule", "add", "runaway", "when", "cost", ">", "50", "per", "1h"]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    box = seeded(end=NOW, seed=3, days=2, per_day=50, rate_per_s=10_000)
    with serve(box) as running:
        yield running
    box.close()


def ask(server: SandboxServer, db: Path, *words: str, **env: str) -> Result:
    values = {
        "REVENIUM_API_URL": server.url,
        "REVENIUM_API_KEY": KEY,
        "REVENIUM_TEAM_ID": TEAM,
        "IMGMETRICS_TZ": "UTC",
        "IMGMETRICS_DB": str(db),
        "IMGMETRICS_ADMINS": "",
        "SLACK_BOT_TOKEN": "",
        **env,
    }
    args = ["ask", *words, "--json", "--now", NOW.isoformat()]
    return CliRunner().invoke(main, args, env=values, catch_exceptions=False)


def test_named_admins(server: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    refused = ask(server, db, *RULE, "--user", "U0BOB", IMGMETRICS_ADMINS="U0MARIA")
    assert refused.exit_code == 2
    assert json.loads(refused.stdout)["error"]["message"] == (
        "⛔ Only imgmetrics admins can change rules. Admins here: <@U0MARIA>."
    )
    done = ask(server, db, *RULE, "--user", "U0MARIA", IMGMETRICS_ADMINS="U0MARIA")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["data"]["rule"]["created_by"] == "U0MARIA"
    listed = ask(server, db, "rule", "list", "--user", "U0BOB", IMGMETRICS_ADMINS="U0MARIA")
    assert json.loads(listed.stdout)["data"]["rules"] == ["runaway"]


def test_without_admins_or_slack_only_the_operator(server: SandboxServer, tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    refused = ask(server, db, *RULE, "--user", "U0BOB")
    assert refused.exit_code == 2
    assert "set IMGMETRICS_ADMINS" in json.loads(refused.stdout)["error"]["message"]
    assert ask(server, db, *RULE).exit_code == 0  # no --user: the operator at the shell


def test_workspace_admins_via_users_info(server: SandboxServer, tmp_path: Path) -> None:
    with FakeSlack() as slack:
        slack.add_user("U0MARIA", "maria", owner=True)
        slack.add_user("U0BOB", "bob")
        env = {"SLACK_BOT_TOKEN": slack.token, "SLACK_API_URL": slack.url}
        db = tmp_path / "state.db"
        assert ask(server, db, *RULE, "--user", "U0BOB", **env).exit_code == 2
        assert ask(server, db, *RULE, "--user", "U0MARIA", **env).exit_code == 0
        assert [c.params["user"] for c in slack.calls("users.info")] == ["U0BOB", "U0MARIA"]


def test_the_shell_operator_passes_named_admins_and_says_so(
    server: SandboxServer, tmp_path: Path
) -> None:
    """IMGMETRICS_ADMINS names the Slack users; the operator at the shell (who holds the
    database anyway) still changes rules, and the audit line names them as such."""
    db = tmp_path / "state.db"
    named = {"IMGMETRICS_ADMINS": "U0MARIA"}
    assert ask(server, db, *RULE, "--user", "U0BOB", **named).exit_code == 2
    done = ask(server, db, *RULE, **named)
    assert done.exit_code == 0, done.output
    assert "created by the shell operator (ask)" in str(json.loads(done.stdout)["blocks"])
    state = open_db(db)
    [entry] = audit_log(state)
    state.close()
    assert (entry.who, entry.what, entry.subject) == (
        "the shell operator (ask)",
        "rule add",
        "runaway",
    )


@pytest.mark.parametrize("user", ["U_CLI", "U_CONSOLE", "bob", "<!channel>"])
def test_user_takes_only_a_slack_user_id(server: SandboxServer, tmp_path: Path, user: str) -> None:
    """No flag can name the operator: `--user` is a Slack user, checked like one."""
    refused = ask(server, tmp_path / "state.db", *RULE, "--user", user)
    assert refused.exit_code == 2
    assert "is not a Slack user id such as U0123ABCD" in refused.output
    assert not (tmp_path / "state.db").exists()  # refused before anything was opened


def test_help_says_who_acts_without_user() -> None:
    for command in ("ask", "console"):
        shown = CliRunner().invoke(main, [command, "--help"]).output
        assert "shell operator" in shown and "IMGMETRICS_ADMINS" in shown, command
