"""Alert and rule-card buttons through the real Bolt app: signed block_actions (and slash
commands) against the fake Slack, admins asked with users.info on every click, refusals
ephemeral, and a silence from a button that really keeps the channel quiet."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlite_utils

from bot.slack.workers import OUR_FAULT
from rules.history import Archive, History, Plan
from storage import alerts as A
from storage import silences as S
from storage.audit import audit_log
from tests.support.bolt import Bolt
from tests.support.world import CHANNEL, T0, World, per_minute

MARIA, BOB = "U0MARIA", "U0BOB"
H, M = timedelta(hours=1), timedelta(minutes=1)


@pytest.fixture
def world(world: World) -> World:
    world.slack.add_user(MARIA, "maria", admin=True)
    world.slack.add_user(BOB, "bob")
    return world


def users_asked(world: World) -> list[str]:
    return [c.params["user"] for c in world.slack.calls("users.info")]


def test_only_admins_change_rules_from_slack(world: World, bolt: Bolt) -> None:
    card = bolt.command("rule add runaway when cost > 50 per 1h by model", MARIA)
    assert card["response_type"] == "ephemeral" and "✅ Rule `runaway`" in card["text"]
    refused = bolt.command("rule delete runaway", BOB)
    assert refused["response_type"] == "ephemeral"
    assert refused["text"].startswith("⛔ Only imgmetrics admins can change rules.")
    assert users_asked(world) == [MARIA, BOB]
    pause = bolt.click({**card, "ts": "1.0"}, "rule_pause", BOB)
    assert pause["text"].startswith("⛔ Only imgmetrics admins") and not pause["replace_original"]
    assert not A.get_rule(bolt.rt.db, "runaway").paused  # type: ignore[union-attr]
    test = bolt.click({**card, "ts": "1.0"}, "rule_test", BOB)  # reading is for everyone
    assert "Test of `runaway`" in str(test["blocks"])
    paused = bolt.click({**card, "ts": "1.0"}, "rule_pause", MARIA)
    assert "paused" in paused["text"]
    assert A.get_rule(bolt.rt.db, "runaway").paused  # type: ignore[union-attr]
    assert [(e.who, e.what) for e in audit_log(bolt.rt.db)] == [
        (MARIA, "rule pause"),
        (MARIA, "rule add"),
    ]


class HeldBack:
    """An archive that reads only once the asker has seen the card: a backtest too slow to
    wait for, without waiting for a clock."""

    def __init__(self, inner: Archive, world: World) -> None:
        self.inner, self.world = inner, world

    def earliest(self) -> datetime | None:
        return self.inner.earliest()

    def history(self, plan: Plan | None) -> History:
        self.world.slack.wait_for(lambda: self.world.slack.ephemerals(CHANNEL), timeout=10)
        return self.inner.history(plan)


SPIKE = "Backtest, last 14 days:* would have fired 1×"


def test_a_rule_card_is_one_message_with_its_backtest_when_it_is_quick(world: World) -> None:
    world.box.add_records(per_minute(T0 - 3 * H, T0 - 2 * H, 2.0))
    bolt = Bolt(world, card_wait=60)
    try:
        [card] = bolt.answers(bolt.send("rule add runaway when cost > 50 per 1h by model", MARIA))
        assert SPIKE in str(card["blocks"]) and not card["replace_original"]
        [shown] = world.slack.ephemerals(CHANNEL)
        assert SPIKE in str(shown["blocks"])
    finally:
        bolt.close()


def test_a_slow_rule_card_comes_at_once_and_is_replaced_with_its_backtest(world: World) -> None:
    world.box.add_records(per_minute(T0 - 3 * H, T0 - 2 * H, 2.0))
    bolt = Bolt(world, card_wait=0)
    bolt.rt.archive = HeldBack(bolt.rt.history, world)
    try:
        rid = bolt.send("rule add runaway when cost > 50 per 1h by model", MARIA)
        first, whole = bolt.answers(rid, 2)
        assert first["text"].startswith("✅ Rule `runaway`")
        assert "still running; this card is replaced" in str(first["blocks"])
        assert whole["replace_original"] and SPIKE in str(whole["blocks"])
        [shown] = world.slack.ephemerals(CHANNEL)  # one message, now with its backtest
        assert SPIKE in str(shown["blocks"]) and "still running" not in str(shown["blocks"])
    finally:
        bolt.close()


def test_a_silence_button_suppresses_and_unsilence_lets_it_speak(world: World, bolt: Bolt) -> None:
    world.box.add_records(per_minute(T0 - H, T0 + H, 2.0))  # dall-e-3: $120 an hour
    world.box.add_records(per_minute(T0 + 2 * H, T0 + 4 * H, 2.0))  # and again, later
    proc = world.process()
    bolt.command(f"rule add runaway when cost > 50 per 1h by model in #{CHANNEL}", MARIA)
    proc.run_until(T0 + 10 * M)
    [alert] = world.top_level()

    refused = bolt.click(alert, "silence_4h", BOB)
    assert refused["text"].startswith("⛔ Only imgmetrics admins can change silences.")
    assert refused["response_type"] == "ephemeral" and S.silences(proc.db) == []
    assert BOB in users_asked(world)

    done = bolt.click(alert, "silence_4h", MARIA)
    assert done["response_type"] == "ephemeral" and "silenced until" in done["text"]
    (stored,) = S.silences(proc.db)
    assert (stored.silence.rule, stored.silence.group, stored.silence.by) == (
        "runaway",
        "dall-e-3",
        MARIA,
    )
    assert stored.silence.until == world.clock.now() + 4 * H

    proc.run_until(T0 + 3 * H + 30 * M)  # resolved at ~T0+1h50, breaching again from T0+2h40
    assert len(world.top_level()) == 1  # the second incident stays silent
    replies = [m["text"] for m in world.replies(alert["ts"])]
    assert replies[0].startswith(f"🔕 Silenced for dall-e-3 by @{MARIA} until")
    assert any(r.startswith("Resolved at") for r in replies)  # a resolve is never muted
    assert any(e.note.startswith("silenced") for e in A.evaluations(proc.db, "runaway"))

    ended = bolt.click(alert, "unsilence", MARIA)
    assert "1 silence ended" in ended["text"]
    proc.run_until(T0 + 3 * H + 40 * M)
    assert len(world.top_level()) == 2  # the alert that was held back is posted now
    assert [e.what for e in audit_log(proc.db)][:2] == ["unsilence", "silence"]


def test_a_button_from_an_old_message_is_explained(world: World, bolt: Bolt) -> None:
    message = {
        "ts": "1.0",
        "type": "message",
        "text": "",
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "silence_1h",
                        "value": "not json",
                        "text": {"type": "plain_text", "text": "Silence 1h"},
                    }
                ],
            }
        ],
    }
    answer = bolt.click(message, "silence_1h", MARIA)
    assert "cannot be read" in answer["text"]
    gone = json.dumps({"rule": "deleted-rule", "group": None})
    message["blocks"][0]["elements"][0]["value"] = gone  # type: ignore[index]
    assert "No rule named `deleted-rule`" in bolt.click(message, "silence_1h", MARIA)["text"]


class ClosedDatabases:
    """A state database that fails as a broken disk would: every use raises sqlite3.Error."""

    def get(self) -> Any:
        db = sqlite_utils.Database(sqlite3.connect(":memory:"))
        db.conn.close()
        return db


def test_a_storage_failure_reaches_the_user_in_slack(world: World, bolt: Bolt) -> None:
    bolt.rt.dbs = ClosedDatabases()
    said = bolt.command("rule list", MARIA)
    assert said["response_type"] == "ephemeral"
    assert said["text"].startswith("⚠ storage failed: Cannot operate on a closed database")


class Exploding:
    """A metrics source with a bug in it."""

    def summary(self, query: Any) -> Any:
        raise RuntimeError("a bug")

    def as_of(self) -> None:
        return None

    def listening(self, progress: Any) -> Any:
        return contextlib.nullcontext()

    def close(self) -> None:
        pass


def test_a_bug_is_logged_and_the_user_is_told_something_went_wrong(
    world: World, bolt: Bolt, caplog: pytest.LogCaptureFixture
) -> None:
    bolt.rt.source = Exploding()  # type: ignore[assignment]
    said = bolt.command("summary last 1h", MARIA)
    assert said["text"] == OUR_FAULT and said["response_type"] == "ephemeral"
    assert "answering a command failed" in caplog.text and "RuntimeError: a bug" in caplog.text
