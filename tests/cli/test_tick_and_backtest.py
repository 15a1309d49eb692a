"""`imgmetrics tick` and `imgmetrics rules backtest` from the shell, over the sandbox served on
loopback and the fake Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.main import main
from revenium.sandbox.server import serve
from storage import alerts as A
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, empty
from tests.fakes.slack import FakeSlack
from tests.support.world import CHANNEL, T0, TS_BASE, per_minute, spend_rule

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    box = empty()
    box.add_records(per_minute(T0 - H, T0 + H, 2.0))
    db_path = tmp_path / "state.db"
    db = open_db(db_path)
    A.add_rule(db, spend_rule(), T0 - H)
    db.close()
    with serve(box) as server, FakeSlack(ts_base=TS_BASE) as slack:
        slack.add_channel(CHANNEL, "finops")
        yield {
            "REVENIUM_API_URL": server.url,
            "REVENIUM_API_KEY": KEY,
            "REVENIUM_TEAM_ID": TEAM,
            "IMGMETRICS_DB": str(db_path),
            "IMGMETRICS_TZ": "UTC",
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_API_URL": slack.url,
        }


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_tick_runs_one_pass_at_the_given_time_and_posts(env: dict[str, str]) -> None:
    first = run(env, "tick", "--now", T0.isoformat())
    assert first.exit_code == 0, first.output
    assert first.output.startswith("Evaluated 1 rules (0 failed), 0 budgets; 0 digests; queued 0")
    second = run(env, "tick", "--now", (T0 + 5 * M).isoformat())
    assert "queued 1" in second.output and "sent 1" in second.output
    again = run(env, "tick", "--now", (T0 + 5 * M).isoformat())
    assert "Evaluated 0 rules" in again.output and "sent 0" in again.output


def test_rules_backtest_lists_what_the_rule_would_have_sent(env: dict[str, str]) -> None:
    done = run(
        env, "rules", "backtest", "runaway", "--since", "6h", "--now", (T0 + 4 * H).isoformat()
    )
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "Backtest of `runaway` from 2026-11-02 10:00 to 2026-11-02 16:00 (UTC):"
    assert lines[1].startswith("2026-11-02 11:40  fired           🔴 runaway — dall-e-3 spent")
    assert lines[2].startswith("2026-11-02 13:50  resolved        ✅ ~runaway~ dall-e-3 — resolved")
    assert lines[-1] == "Would have fired 1×, resolved 1×; 2 messages in all."


def test_rules_backtest_of_an_unknown_rule_or_span_is_refused(env: dict[str, str]) -> None:
    missing = run(env, "rules", "backtest", "nope")
    assert missing.exit_code == 2 and "no rule named `nope`" in missing.output
    bad = run(env, "rules", "backtest", "runaway", "--since", "forever")
    assert bad.exit_code == 2 and "`forever` is not a span" in bad.output


def test_rules_backtest_json_gives_the_episodes_for_ci(env: dict[str, str]) -> None:
    end = T0 + 4 * H
    done = run(
        env, "rules", "backtest", "runaway", "--since", "6h", "--now", end.isoformat(), "--json"
    )
    assert done.exit_code == 0, done.output
    found = json.loads(done.stdout)
    assert (found["rule"], found["start"], found["end"]) == (
        "runaway",
        (end - 6 * H).isoformat(),
        end.isoformat(),
    )
    [episode] = found["episodes"]
    assert episode["group"] == {"model": "dall-e-3"}
    assert episode["fired_at"] == "2026-11-02T11:40:00+00:00"
    assert episode["resolved_at"] == "2026-11-02T13:50:00+00:00"
    assert episode["peak"] == pytest.approx(120.0)


def test_rules_backtest_json_of_an_unknown_rule_is_a_json_error(env: dict[str, str]) -> None:
    missing = run(env, "rules", "backtest", "nope", "--json")
    assert missing.exit_code == 2
    assert "no rule named `nope`" in json.loads(missing.stdout)["error"]["message"]
