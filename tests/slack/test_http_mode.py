"""The Slack edge end to end: signed slash commands and clicks to a real `imgmetrics serve`.

The sandbox and the fake Slack run here on loopback; `serve` runs in its own process.
Figures in the response_url posts are checked against a plain computation.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from bot.render import fmt
from revenium.figures import group, summarize
from revenium.records import Record, parse_time
from revenium.sandbox.core import Sandbox
from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import KEY, TEAM, seeded
from tests.fakes.signing import (
    SECRET,
    app_home_opened_body,
    block_action_body,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack import FakeSlack
from tests.support.serving import BOT_TOKEN, Served, blocks_text, serve_env, serving, stop

END = datetime(2026, 11, 20, tzinfo=UTC)
WINDOW_TEXT = "from 2026-11-15 to 2026-11-17"  # three whole UTC days, end date included
START, STOP = datetime(2026, 11, 15, tzinfo=UTC), datetime(2026, 11, 18, tzinfo=UTC)
ids = count()


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = seeded(end=END, seed=5, days=8, per_day=200, rate_per_s=10_000)
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def api(box: Sandbox) -> Iterator[SandboxServer]:
    with serve(box) as running:
        yield running


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user("U1", "alice")
        fake.add_channel("C1", "general")
        yield fake


@pytest.fixture(scope="module")
def app(
    api: SandboxServer, slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("e2e")
    env = serve_env(api, slack, KEY, TEAM, folder / "imgmetrics.db")
    with serving(env, "--no-scheduler", log=folder / "serve.log") as served:
        yield served


@pytest.fixture(scope="module")
def in_window(box: Sandbox) -> list[Record]:
    return [r for r in box.records() if START <= parse_time(r["requestTime"]) < STOP]


def command(app: Served, slack: FakeSlack, text: str, timeout: float = 15.0) -> dict[str, Any]:
    """Send `/imgmetrics text`, return the first response_url post."""
    rid = f"r{next(ids)}"
    url = slack.response_url(rid, channel="C1", user="U1")
    ack = app.post(slash_command_body(text, "U1", "C1", url))
    assert ack.status_code == 200
    return slack.wait_for(lambda: slack.responses(rid), timeout=timeout)[0]


def click(app: Served, slack: FakeSlack, action_id: str, value: str) -> dict[str, Any]:
    rid = f"r{next(ids)}"
    url = slack.response_url(rid, channel="C1", user="U1")
    assert app.post(block_action_body(action_id, value, "U1", "C1", url)).status_code == 200
    return slack.wait_for(lambda: slack.responses(rid), timeout=15)[0]


def test_summary_carries_the_right_figures(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    post = command(app, slack, f"summary {WINDOW_TEXT}")
    s = summarize(in_window)
    text = blocks_text(post)
    assert post["response_type"] == "ephemeral"
    assert (
        f"{fmt.money(s.cost)} spent · {fmt.count(s.images)} images · "
        f"{fmt.count(s.requests)} requests" in text.replace("*", "")
    )
    assert f"Error rate {fmt.percent(s.error_rate)} ({fmt.count(s.errors)})" in text.replace(
        "*", ""
    )
    assert "Nov 15 00:00 → Nov 18 00:00 UTC" in text


def test_filters_and_share(app: Served, slack: FakeSlack, in_window: list[Record]) -> None:
    post = command(app, slack, f"model:dall-e-3 env:production {WINDOW_TEXT} share")
    s = summarize(
        r for r in in_window if r["model"] == "dall-e-3" and r["environment"] == "production"
    )
    assert post["response_type"] == "in_channel"
    assert f"{fmt.money(s.cost)} spent" in blocks_text(post).replace("*", "")
    assert "model = dall-e-3" in blocks_text(post)


def test_top_and_by_rank_by_cost(app: Served, slack: FakeSlack, in_window: list[Record]) -> None:
    rows = group(in_window, "model")
    for text, shown in ((f"top model 3 {WINDOW_TEXT}", 3), (f"summary {WINDOW_TEXT} by model", 8)):
        body = blocks_text(command(app, slack, text)).replace("*", "")
        for rank, (value, s) in enumerate(rows[:shown], 1):
            assert f"{rank}. {value} — {fmt.money(s.cost)}" in body


def test_list_pages_with_a_next_button(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    newest = sorted(in_window, key=lambda r: (r["requestTime"], r["id"]), reverse=True)
    first = command(app, slack, f"list {WINDOW_TEXT}")
    text = blocks_text(first)
    assert all(r["id"] in text for r in newest[:10])
    next_button = next(
        e
        for b in first["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "list_next"
    )
    second = click(app, slack, "list_next", next_button["value"])
    assert second.get("replace_original") is True
    assert all(r["id"] in blocks_text(second) for r in newest[10:20])
    assert "Records 11–20" in blocks_text(second)


def test_show_reads_one_record(app: Served, slack: FakeSlack, in_window: list[Record]) -> None:
    record = in_window[3]
    text = blocks_text(command(app, slack, f"show {record['id']}"))
    assert record["model"] in text and record["id"] in text
    missing = blocks_text(command(app, slack, "show NoSuchRecord9"))
    assert "No record with id `NoSuchRecord9`" in missing


def test_errors_show_wasted_spend_and_shortfall(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    body = blocks_text(command(app, slack, f"errors {WINDOW_TEXT}")).replace("*", "")
    errored = [r for r in in_window if r.get("errorReason")]
    total = summarize(in_window)
    assert f"{fmt.count(total.errors)} errors in {fmt.count(total.requests)} requests" in body
    assert f"{fmt.money(total.wasted_cost)} wasted" in body
    for reason, s in group(errored, "errorReason"):
        assert f"{reason} — {fmt.count(s.requests)} errors · {fmt.money(s.cost)} wasted" in body


def test_trend_posts_a_sparkline_and_a_png_to_the_dm(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    before = len(slack.files())
    body = blocks_text(command(app, slack, f"trend {WINDOW_TEXT} by day"))
    daily = [
        summarize(r for r in in_window if r["requestTime"].startswith(f"2026-11-{d}")).cost
        for d in (15, 16, 17)
    ]
    assert fmt.sparkline(daily) in body
    files = slack.wait_for(lambda: slack.files()[before:])
    assert files[0]["data"].startswith(b"\x89PNG")


def test_export_sends_the_matching_records_as_csv(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    before = len(slack.files())
    body = blocks_text(command(app, slack, f"export model:sdxl {WINDOW_TEXT}"))
    want = {r["id"] for r in in_window if r["model"] == "sdxl"}
    assert f"Exported {len(want)} records" in body
    upload = slack.wait_for(lambda: slack.files()[before:])[0]
    rows = list(csv.DictReader(io.StringIO(upload["data"].decode())))
    assert {row["id"] for row in rows} == want


def test_help_and_refusals_are_ephemeral_and_specific(app: Served, slack: FakeSlack) -> None:
    assert "organizationName" in blocks_text(command(app, slack, "help filters"))
    refusal = command(app, slack, "summary modle:dall-e-3")
    assert refusal["response_type"] == "ephemeral"
    assert "did you mean `model`" in refusal["text"]


def test_query_buttons_reask_with_the_same_filters(
    app: Served, slack: FakeSlack, in_window: list[Record]
) -> None:
    post = command(app, slack, f"summary model:dall-e-2 {WINDOW_TEXT}")
    top = next(
        e
        for b in post["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "top_models"
    )
    answer = blocks_text(click(app, slack, "top_models", top["value"])).replace("*", "")
    s = summarize(r for r in in_window if r["model"] == "dall-e-2")
    assert f"1. dall-e-2 — {fmt.money(s.cost)} (100 %)" in answer


@pytest.mark.parametrize("case", ["forged", "tampered", "stale", "missing"])
def test_bad_signatures_get_401_and_nothing_happens(
    app: Served, slack: FakeSlack, case: str
) -> None:
    rid = f"r{next(ids)}"
    body = slash_command_body("summary last 1h", "U1", "C1", slack.response_url(rid))
    if case == "forged":
        response = app.post(body, secret="not-the-secret")
    elif case == "tampered":  # signed for one body, sent with another
        headers = signed_headers(body, SECRET, int(time.time()))
        response = app.http.post(
            app.url + "/slack/events", headers=headers, content=body.replace(b"summary", b"export")
        )
    elif case == "stale":
        response = app.post(body, timestamp=int(time.time()) - 301)
    else:
        response = app.http.post(
            app.url + "/slack/events",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 401
    assert slack.responses(rid) == []


def test_url_verification_is_answered(app: Served) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "chal-123", "token": "x"}).encode()
    response = app.post(body, content_type="application/json")
    assert response.status_code == 200
    assert "chal-123" in response.text


def test_app_home_is_published(app: Served, slack: FakeSlack) -> None:
    response = app.post(app_home_opened_body("U1"), content_type="application/json")
    assert response.status_code == 200
    view = slack.wait_for(lambda: slack.home_view("U1"))
    assert "imgmetrics" in json.dumps(view)


def test_fifty_concurrent_commands_are_all_acked_within_3s(app: Served, slack: FakeSlack) -> None:
    bodies = [
        slash_command_body(f"summary {WINDOW_TEXT}", "U1", "C1", slack.response_url(f"burst{i}"))
        for i in range(50)
    ]

    def send(body: bytes) -> tuple[int, float]:
        started = time.monotonic()
        status = app.post(body).status_code
        return status, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, bodies))
    assert [status for status, _ in results] == [200] * 50
    assert max(elapsed for _, elapsed in results) < 3.0
    slack.wait_for(lambda: all(slack.responses(f"burst{i}") for i in range(50)), timeout=60)


def test_logs_hold_no_secret_and_no_request_body(
    api: SandboxServer, slack: FakeSlack, tmp_path: Path
) -> None:
    """A server that answers, refuses a forged request and fails upstream logs no secret."""
    env = serve_env(api, slack, KEY, TEAM, tmp_path / "db.sqlite", IMGMETRICS_LOG_LEVEL="DEBUG")
    with serving(env, "--no-scheduler", log=tmp_path / "serve.log") as served:
        command(served, slack, f"summary {WINDOW_TEXT}")
        assert (
            served.post(slash_command_body("summary", "U1", "C1"), secret="wrong").status_code
            == 401
        )
        stop(served.process)
        logged = served.logs()
    assert "DEBUG" in logged  # the check below read a verbose log
    for secret in (KEY, SECRET, BOT_TOKEN):
        assert secret not in logged
    assert "response_url" not in logged  # no request body in the logs


@pytest.mark.parametrize(
    ("overrides", "code", "needle"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-not-this-app"}, 2, "Slack refused SLACK_BOT_TOKEN"),
        ({"SLACK_API_URL": "http://127.0.0.1:9/api/"}, 1, "could not reach Slack"),
    ],
)
def test_serve_refuses_a_bad_bot_token_or_unreachable_slack_clearly(
    api: SandboxServer,
    slack: FakeSlack,
    tmp_path: Path,
    overrides: dict[str, str],
    code: int,
    needle: str,
) -> None:
    import subprocess
    import sys

    from tests.support.serving import ROOT

    env = serve_env(api, slack, KEY, TEAM, tmp_path / "db.sqlite", **overrides)
    command = [sys.executable, "-m", "bot.cli", "serve", "--port", "0", "--no-scheduler"]
    done = subprocess.run(command, check=False, cwd=ROOT, env=env, capture_output=True, timeout=30)
    output = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == code, output
    assert needle in output and "Traceback" not in output
    assert "xoxb-not-this-app" not in output and SECRET not in output and KEY not in output
