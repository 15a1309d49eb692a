"""Delivery: exactly once across crashes (a real SIGKILLed subprocess) and lost answers, one
poster among two processes, 429 storms drained in order, give-up after 24 h."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.dispatcher import DRAIN_BUDGET, GIVE_UP_AFTER, PACE
from storage import outbox as O
from tests.support.world import CHANNEL, T0, World, per_minute, spend_rule

H = timedelta(hours=1)
M = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]
OTHER = "C0OTHER"


@pytest.fixture
def world(world: World) -> World:
    world.slack.add_channel(OTHER, "other")
    return world


def queue(world: World, channel: str, texts: list[str]) -> None:
    proc = world.process("queuer")
    items = [O.Outgoing(f"{channel}:{t}", channel, {"op": "post", "text": t}) for t in texts]
    O.enqueue(proc.db, items, world.clock.now())
    proc.close()


CRASH = """
import os, signal, sys
from datetime import datetime
from slack_sdk import WebClient
from bot.alerts.dispatcher import Dispatcher
from bot.slack.notifier import SlackNotifier
from revenium.clock import FakeClock
from storage.db import open_db

db_path, url, now, point = sys.argv[1:5]
def hook(event, row):
    if event == point:
        os.kill(os.getpid(), signal.SIGKILL)
client = WebClient(token="xoxb-test", base_url=url, retry_handlers=[])
Dispatcher(open_db(db_path), SlackNotifier(client), FakeClock(datetime.fromisoformat(now)),
           lambda seconds: None, hook=hook).drain()
print("not killed")
"""


def crash_while_dispatching(world: World, point: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    args = [str(world.db_path), world.slack.url, world.clock.now().isoformat(), point]
    return subprocess.run(
        [sys.executable, "-c", CRASH, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("point", ["claimed", "sent"])
def test_kill_9_between_the_outbox_write_and_the_post_delivers_exactly_once(
    world: World, point: str
) -> None:
    """claimed: killed after marking the row attempted, before the post; sent: after Slack
    took the post, before the row was marked sent. Either way, one message after restart."""
    world.box.add_records(per_minute(T0 - H, T0 + H, 2.0))
    proc = world.process("evaluator")
    proc.add_rule(spend_rule())
    proc.tick(dispatch=False)
    world.clock.advance(5 * M)
    proc.tick(dispatch=False)  # fired: the state change and its outbox row, committed together
    [row] = O.unsettled(proc.db)
    proc.close()
    done = crash_while_dispatching(world, point)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert O.get(world.process("inspector").db, row.key).status == "attempted"
    posted_before = len(world.top_level())
    assert posted_before == (1 if point == "sent" else 0)

    world.clock.advance(3 * M)  # the dead evaluator's lease lapses
    again = world.process("restarted")
    report = again.tick()
    assert len(world.top_level()) == 1
    assert (report.drain.found, report.drain.sent) == ((1, 0) if point == "sent" else (0, 1))
    assert O.get(again.db, row.key).status == "sent"
    assert len(world.slack.calls("chat.postMessage")) == 1
    assert world.slack.calls("conversations.history")  # it looked before sending again


def test_a_post_slack_took_but_never_answered_is_found_not_resent(world: World) -> None:
    queue(world, CHANNEL, ["hello"])
    world.slack.fail_next("chat.postMessage", "disconnect", applied=True)
    proc = world.process()
    first = proc.dispatcher().drain()
    assert (first.sent, first.retried) == (0, 1)
    assert len(world.top_level()) == 1  # Slack has it; we do not know
    world.clock.advance(31 * timedelta(seconds=1))
    second = proc.dispatcher().drain()
    assert (second.found, second.sent) == (1, 0)
    assert len(world.slack.calls("chat.postMessage")) == 1
    row = O.get(proc.db, f"{CHANNEL}:hello")
    assert row is not None and row.status == "sent" and row.ts == world.top_level()[0]["ts"]


def test_two_processes_give_one_post(world: World) -> None:
    world.box.add_records(per_minute(T0 - H, T0 + 2 * H, 2.0))
    a, b = world.process("a"), world.process("b")
    a.add_rule(spend_rule())
    for _ in range(12):
        ra, rb = a.tick(), b.tick()
        assert ra.leader and not rb.leader  # a renews its lease every pass; b waits
        world.clock.advance(5 * M)
    assert len(world.top_level()) == 1
    a.close()
    world.clock.advance(3 * M)  # a is gone: b takes over and posts nothing again
    assert b.tick().leader
    assert len(world.top_level()) == 1


def test_two_dispatchers_racing_over_one_outbox_post_each_message_once(world: World) -> None:
    texts = [f"m{i}" for i in range(20)]
    queue(world, CHANNEL, texts)
    results: list[Any] = []

    def drain(name: str) -> None:
        proc = world.process(name)
        try:
            results.append(proc.dispatcher(pace=timedelta(0)).drain())
        finally:
            proc.close()

    threads = [threading.Thread(target=drain, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(m["text"] for m in world.top_level()) == sorted(texts)
    assert len(world.slack.calls("chat.postMessage")) == 20
    assert sum(r.sent + r.found for r in results) == 20


def test_a_429_storm_drains_in_order_without_duplicates_and_paced(world: World) -> None:
    mine, theirs = [f"a{i:02d}" for i in range(10)], [f"b{i:02d}" for i in range(5)]
    queue(world, CHANNEL, mine[:5])
    queue(world, OTHER, theirs)
    queue(world, CHANNEL, mine[5:])
    world.slack.fail_next("chat.postMessage", "ratelimited", count=8, retry_after=3)
    sent_at: list[tuple[str, datetime]] = []
    proc = world.process()

    def hook(event: str, row: O.OutboxRow) -> None:
        if event == "sent":
            sent_at.append((row.channel, world.clock.now()))

    report = proc.dispatcher(hook=hook).drain()
    assert report.sent == 15 and report.rate_limited == 8
    assert [m["text"] for m in world.top_level(CHANNEL)] == mine
    assert [m["text"] for m in world.top_level(OTHER)] == theirs
    assert 3.0 in world.sleeps  # Retry-After honoured
    for channel in (CHANNEL, OTHER):
        times = [t for c, t in sent_at if c == channel]
        assert all(b - a >= PACE for a, b in itertools.pairwise(times))
    assert O.unsettled(proc.db) == []


def test_an_undeliverable_message_is_retried_for_24_hours_then_given_up(world: World) -> None:
    world.slack.add_channel("C0LOCKED", "locked", member=False)
    queue(world, "C0LOCKED", ["nobody hears this"])
    queue(world, CHANNEL, ["but this goes out"])
    proc = world.process()
    start = world.clock.now()
    for _ in range(200):
        proc.dispatcher().drain()
        row = O.get(proc.db, "C0LOCKED:nobody hears this")
        assert row is not None
        if row.status == "given_up":
            break
        world.clock.set(row.next_attempt_at)
    assert row.status == "given_up" and row.last_error == "Slack chat_postMessage: not_in_channel"
    assert GIVE_UP_AFTER <= world.clock.now() - start < GIVE_UP_AFTER + 2 * H
    assert 20 < row.attempts < 60  # backed off, not hammered
    assert [m["text"] for m in world.top_level()] == ["but this goes out"]


def test_a_long_backlog_is_drained_over_several_passes_in_order(world: World) -> None:
    """A drain stops at its time budget, so the next evaluation is not held up behind a
    backlog; the rest goes out in the next passes, in order, once each."""
    texts = [f"m{i:03d}" for i in range(120)]  # 120 posts paced 1.1 s apart: over two minutes
    queue(world, CHANNEL, texts)
    proc = world.process()
    started = world.clock.now()
    first = proc.dispatcher(budget=DRAIN_BUDGET).drain()
    assert 0 < first.sent < len(texts) and first.deferred == len(texts) - first.sent
    assert world.clock.now() - started <= DRAIN_BUDGET + PACE
    for _ in range(5):
        world.clock.advance(timedelta(seconds=30))  # the scheduler's next pass
        if proc.dispatcher(budget=DRAIN_BUDGET).drain().deferred == 0:
            break
    assert [m["text"] for m in world.top_level(CHANNEL)] == texts
    assert O.unsettled(proc.db) == []


def test_a_message_slack_refuses_as_such_is_given_up_at_once(world: World) -> None:
    """Retrying the very same blocks cannot help: the row is given up on the first refusal,
    and the messages after it in the channel go out."""
    queue(world, CHANNEL, ["too long for Slack", "next one"])
    world.slack.fail_next("chat.postMessage", "msg_too_long")
    proc = world.process()
    report = proc.dispatcher().drain()
    row = O.get(proc.db, f"{CHANNEL}:too long for Slack")
    assert row is not None and row.status == "given_up" and row.attempts == 1
    assert report.given_up == 1 and report.retried == 0
    assert [m["text"] for m in world.top_level()] == ["next one"]
