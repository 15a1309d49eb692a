"""/healthz, /readyz and /metrics of a real `imgmetrics serve`: the metrics parse with
prometheus_client's own parser and move as commands and passes run; /readyz turns 503
when passes stop completing (the dead-man's switch), and a stop past its grace still
exits 0. The readiness rule itself is checked on a fake clock."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.alerts.notifier import ConsoleNotifier
from bot.alerts.scheduler import ALIVE_INTERVALS, SchedulerThread
from bot.config import Settings
from bot.runtime import OneDatabase, Runtime
from bot.slack.health import Readiness
from revenium.clock import FakeClock
from revenium.sandbox.server import SandboxServer
from storage import alerts as A
from storage.db import open_db
from tests.fakes.revenium import KEY, TEAM, empty, source_over
from tests.fakes.signing import slash_command_body
from tests.fakes.slack import FakeSlack
from tests.support.serving import Served, serve_env, serving
from tests.support.world import CHANNEL, T0, spend_rule

EVERY_S = 0.3


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_channel(CHANNEL, "finops")
        yield fake


def samples(served: Served) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and labels, read by prometheus_client's parser."""
    answer = served.http.get(served.url + "/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def wait_until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    """Poll a subprocess's state, bounded by a deadline."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.slow
def test_metrics_move_and_readyz_fails_when_passes_stop(
    live_api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    path = tmp_path / "imgmetrics.db"
    db = open_db(path)
    A.add_rule(db, spend_rule(for_count=1), datetime.now(UTC))
    env = serve_env(live_api, slack, KEY, TEAM, path)
    args = ("--pass-every", str(EVERY_S), "--grace", "2")
    with serving(env, *args, log=tmp_path / "serve.log") as served:
        slack.wait_for(lambda: slack.messages(CHANNEL), timeout=20)  # the rule fired
        url = slack.response_url("r1")
        for text in ("help", "summary nosuch:1"):
            assert served.post(slash_command_body(text, response_url=url)).status_code == 200
        slack.wait_for(lambda: len(slack.responses("r1")) == 2, timeout=10)
        passes = ("imgmetrics_scheduler_passes_total", (("outcome", "leader"),))
        wait_until(lambda: samples(served).get(passes, 0) >= 3, "passes go on")

        seen = samples(served)
        assert seen[("imgmetrics_commands_total", (("outcome", "answered"), ("verb", "help")))] == 1
        assert seen[("imgmetrics_commands_total", (("outcome", "usage"), ("verb", "summary")))] == 1
        assert seen[("imgmetrics_answer_seconds_count", (("verb", "help"),))] == 1
        ok_list = (("endpoint", "list"), ("status", "200"))
        assert seen[("imgmetrics_revenium_requests_total", ok_list)] > 0
        assert seen[("imgmetrics_mirror_synced_records_total", ())] > 0
        assert seen[("imgmetrics_evaluations_total", (("state", "firing"),))] >= 1
        posted = (("method", "chat.postMessage"), ("outcome", "ok"))
        assert seen[("imgmetrics_slack_sends_total", posted)] == 1
        assert seen[("imgmetrics_outbox_depth", ())] == 0
        assert seen[("imgmetrics_scheduler_pass_seconds_count", ())] >= 3
        labels = {value for _, pairs in seen for _, value in pairs}
        assert "nosuch:1" not in labels and "runaway" not in labels  # closed sets only
        assert served.http.get(served.url + "/readyz").json() == {"ok": True, "problems": []}

        # A new rule fires, and its post hangs in the fake: no pass completes any more.
        slack.delays["chat.postMessage"] = 60.0
        A.add_rule(db, spend_rule("second", for_count=1), datetime.now(UTC))
        db.close()
        wait_until(lambda: served.http.get(served.url + "/readyz").status_code == 503, "503")
        body = served.http.get(served.url + "/readyz").json()
        assert body == {
            "ok": False,
            "problems": ["scheduler: no pass completed in the last three intervals"],
        }
        assert served.http.get(served.url + "/healthz").json() == {"ok": True}  # alive still

        started = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=10) == 0
        assert time.monotonic() - started < 2 + 3  # the grace, and the exit after it
    assert "did not stop within" in served.logs()


def test_readyz_fails_three_intervals_after_the_last_completed_pass() -> None:
    now = [1000.0]
    rt = Runtime(Settings(), FakeClock(T0), source_over(empty()), OneDatabase(open_db(":memory:")))
    scheduler = SchedulerThread(
        rt, ConsoleNotifier(sys.stdout), every_s=30, monotonic=lambda: now[0]
    )
    ready = Readiness(rt, scheduler)
    assert ready.problems() == []  # start-up counts as a pass
    now[0] += ALIVE_INTERVALS * 30 - 1
    assert ready.problems() == []
    now[0] += 1
    assert ready.problems() == ["scheduler: no pass completed in the last three intervals"]
    ready.stopping.set()
    assert ready.problems()[0] == "stopping"
    assert Readiness(rt, None).problems() == []  # --no-scheduler: nothing to watch
