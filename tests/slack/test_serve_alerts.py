"""`imgmetrics serve` runs the scheduler on its own thread: an alert reaches the channel while
slash commands are still acknowledged at once; `--no-scheduler` posts nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from revenium.sandbox.server import SandboxServer
from storage import alerts as A
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM
from tests.fakes.signing import slash_command_body
from tests.fakes.slack import FakeSlack
from tests.support.serving import serve_env, serving
from tests.support.world import CHANNEL, spend_rule

pytestmark = pytest.mark.slow


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", "alice")
        fake.add_channel("C1", "general")
        fake.add_channel(CHANNEL, "finops")
        yield fake


def db_with_rule(folder: Path) -> Path:
    path = folder / "imgmetrics.db"
    db = open_db(path)
    A.add_rule(db, spend_rule(for_count=1), datetime.now(UTC))
    db.close()
    return path


def test_serve_posts_alerts_from_its_scheduler_thread_and_still_acks_at_once(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    env = serve_env(live_api, slack, KEY, TEAM, db_with_rule(tmp_path))
    with serving(env, log=tmp_path / "serve.log") as served:
        started = time.monotonic()
        answer = served.post(slash_command_body("help"))
        assert answer.status_code == 200 and time.monotonic() - started < 3.0
        posted = slack.wait_for(lambda: slack.messages(CHANNEL), timeout=20)
        assert posted[0]["text"].startswith("🔴 runaway — dall-e-3 spent $")
        assert posted[0]["metadata"]["event_type"] == "imgmetrics_outbox"


def test_serve_with_no_scheduler_posts_nothing(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    env = serve_env(live_api, slack, KEY, TEAM, db_with_rule(tmp_path))
    with serving(env, "--no-scheduler", log=tmp_path / "serve.log") as served:
        url = slack.response_url("r1")
        assert served.post(slash_command_body("help", response_url=url)).status_code == 200
        slack.wait_for(lambda: slack.responses("r1"), timeout=10)
        db = open_db(tmp_path / "imgmetrics.db")
        # A scheduler takes the lease before anything else, as soon as serve starts.
        assert db.execute("SELECT COUNT(*) FROM alert_lease").fetchone() == (0,)
        assert A.evaluations(db, "runaway") == []
        db.close()
    assert slack.messages(CHANNEL) == []
