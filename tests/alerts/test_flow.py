"""Alerts end to end over the sandbox, a state db file, FakeSlack and a FakeClock: fire once,
stay quiet while firing, resolve by editing the same message, survive restarts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.commands.router import handle
from bot.reply import Context
from rules.silences import Silence
from storage import alerts as A
from storage import silences as S
from tests.support.world import (
    CHANNEL,
    T0,
    Process,
    World,
    per_minute,
    record,
    spend_rule,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


def spike(world: World, start: timedelta, end: timedelta, cost: float = 2.0) -> None:
    """dall-e-3 spends `cost` a minute over [T0+start, T0+end): $120/h at the default."""
    world.box.add_records(per_minute(T0 + start, T0 + end, cost))


def background(world: World) -> None:
    world.box.add_records(per_minute(T0 - 2 * H, T0 + 4 * H, 0.05, model="gpt-image-1"))


def test_fires_once_stays_quiet_and_resolve_edits_the_same_message(world: World) -> None:
    background(world)
    spike(world, -H, H)
    proc = world.process()
    proc.add_rule(spend_rule())
    proc.run_until(T0 + 90 * M)  # firing the whole time: one post, nothing more
    posts = world.top_level()
    assert len(posts) == 1
    alert = posts[0]
    assert alert["text"].startswith("🔴 runaway — dall-e-3 spent $")
    assert "threshold $50.00; resolves below $45.00" in alert["text"]
    actions = [
        e["action_id"] for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert actions == ["silence_1h", "silence_4h", "silence_24h", "unsilence", "show_records"]
    assert "Top contributors: agent thumbnailer" in str(alert["blocks"])
    assert world.slack.calls("chat.update") == []

    proc.run_until(T0 + 3 * H)  # the spike ended at T0+1h: the window empties, it resolves
    assert len(world.top_level()) == 1
    updates = world.slack.calls("chat.update")
    assert len(updates) == 1 and updates[0].params["ts"] == alert["ts"]
    edited = world.slack.message(CHANNEL, alert["ts"])
    assert edited["text"].startswith("✅ runaway dall-e-3 — resolved at")
    assert "lasted" in edited["text"] and "peak $120.00" in edited["text"]
    replies = world.replies(alert["ts"])
    assert len(replies) == 1 and replies[0]["text"].startswith("Resolved at")
    lines = A.evaluations(proc.db, "runaway", limit=100)
    assert any(e.note == "fired: posted" for e in lines)
    assert any(e.note.startswith("still firing: already posted") for e in lines)
    assert any(e.note.startswith("breaching 1/2") for e in lines)


def test_a_value_inside_the_hysteresis_band_gives_one_message(world: World) -> None:
    # One record per 5-minute block, a high block every 25 minutes: a 1-hour window holds
    # 12 blocks, so its sum swings between 53 (over $50) and 47 (inside 45..50), never below.
    low, high = 35 / 12, 35 / 12 + 6
    for block in range(-30, 60):
        when = T0 + block * 5 * M + M
        world.box.add_records([record(when, high if block % 5 == 0 else low)])
    proc = world.process()
    proc.add_rule(spend_rule())
    proc.run_until(T0 + 3 * H + 30 * M)
    values = {round(e.value or 0, 2) for e in A.evaluations(proc.db, "runaway", limit=100)}
    assert values == {47.0, 53.0}
    assert len(world.top_level()) == 1
    assert world.slack.calls("chat.update") == []
    assert world.replies(world.top_level()[0]["ts"]) == []


def test_a_restart_while_firing_posts_nothing_new(world: World) -> None:
    spike(world, -H, 3 * H)
    first = world.process("before-restart")
    first.add_rule(spend_rule())
    first.run_until(T0 + 30 * M)
    assert len(world.top_level()) == 1
    first.close()  # gone without a word: its lease lapses two minutes after its last pass
    calls = len(world.slack.calls())
    again = world.process("after-restart")
    again.run_until(T0 + 2 * H)
    assert all(r.leader for r in again.reports)
    assert len(world.top_level()) == 1
    assert [c.method for c in world.slack.calls()[calls:]] == []


def test_a_resolve_that_happened_while_down_is_posted_after_start(world: World) -> None:
    spike(world, -H, 30 * M)
    first = world.process("before")
    first.add_rule(spend_rule())
    first.run_until(T0 + 15 * M)
    [alert] = world.top_level()
    first.close()
    world.clock.set(T0 + 5 * H)  # down for hours; the spike is long over
    again = world.process("after")
    again.tick()  # one catch-up run at "now": firing → recovering
    assert world.slack.calls("chat.update") == []
    world.clock.advance(5 * M)
    again.tick()  # and resolved
    assert world.slack.message(CHANNEL, alert["ts"])["text"].startswith("✅ runaway")
    assert len(world.replies(alert["ts"])) == 1
    evaluated = [e.at for e in A.evaluations(again.db, "runaway", limit=100)]
    assert T0 + 5 * H in evaluated and T0 + 4 * H not in evaluated  # no replay of missed slots


def test_a_silence_suppresses_is_announced_and_its_end_is_said_once(world: World) -> None:
    spike(world, -H, 8 * H)
    proc = world.process()
    proc.add_rule(spend_rule(reminder=timedelta(0)))
    S.add_silence(proc.db, Silence("runaway", None, T0 + H, "U0MARIA"), T0)
    proc.run_until(T0 + 50 * M)
    assert world.top_level() == []  # fired while silenced: nothing posted
    assert any(e.note.startswith("silenced") for e in A.evaluations(proc.db, "runaway"))
    proc.run_until(T0 + 2 * H)  # the silence ended while firing: posted now, once
    [alert] = world.top_level()
    S.add_silence(proc.db, Silence("runaway", "dall-e-3", T0 + 3 * H, "U0MARIA", "known"), T0)
    proc.run_until(T0 + 4 * H)
    texts = [m["text"] for m in world.replies(alert["ts"])]
    assert len(texts) == 2, texts
    assert texts[0].startswith("🔕 Silenced for dall-e-3 by @U0MARIA until")
    assert texts[1].startswith("The silence set by @U0MARIA has ended and the alert is still")
    assert len(world.top_level()) == 1


def firing(world: World) -> tuple[Process, dict[str, Any]]:
    """A process whose rule `runaway` (by model) has fired for dall-e-3, and that alert."""
    background(world)
    spike(world, -H, 3 * H)
    proc = world.process()
    proc.add_rule(spend_rule())
    proc.run_until(T0 + 30 * M)
    (alert,) = world.top_level()
    assert alert["text"].startswith("🔴 runaway")
    return proc, alert


def typed(proc: Process, text: str) -> None:
    handle(text, Context(user="U_CONSOLE", channel=CHANNEL), proc.rt)


def test_deleting_a_firing_rule_resolves_its_alert_instead_of_leaving_it_red(world: World) -> None:
    proc, alert = firing(world)
    typed(proc, "rule delete runaway")
    proc.tick()  # the next pass delivers the queued resolve; the rule itself is gone
    edited = world.slack.message(CHANNEL, alert["ts"])
    assert edited["text"].startswith("✅ runaway dall-e-3 — resolved at")
    (reply,) = world.replies(alert["ts"])
    assert (
        "rule deleted by the shell operator (console) — now $120.00 (resolves below $45.00)"
        in reply["text"]
    )
    proc.run_until(T0 + 2 * H)
    assert len(world.top_level()) == 1  # and nothing more is ever posted for it


def test_an_edit_that_regroups_a_firing_rule_resolves_the_old_alerts_first(world: World) -> None:
    proc, alert = firing(world)
    typed(proc, f"rule add runaway when cost > 50 per 1h by org in <#{CHANNEL}|finops>")
    proc.run_until(T0 + 60 * M)
    edited = world.slack.message(CHANNEL, alert["ts"])
    assert edited["text"].startswith("✅ runaway dall-e-3 — resolved at")
    (reply,) = world.replies(alert["ts"])
    assert (
        "rule edited by the shell operator (console)" in reply["text"]
    )  # not "now $0.00": spend went on
    old, new = world.top_level()  # the regrouped rule fires anew, per organization
    assert old["ts"] == alert["ts"] and new["text"].startswith("🔴 runaway — Acme Corp spent $")
    assert set(A.load_states(proc.db, "runaway")) == {"Acme Corp"}


def test_an_edit_of_the_threshold_keeps_the_firing_alert(world: World) -> None:
    proc, alert = firing(world)
    typed(proc, f"rule add runaway when cost > 60 per 1h by model in <#{CHANNEL}|finops>")
    proc.run_until(T0 + 60 * M)
    assert world.top_level() == [world.slack.message(CHANNEL, alert["ts"])]
    assert world.top_level()[0]["text"].startswith("🔴 runaway")  # still red, the one alert
    assert world.replies(alert["ts"]) == []
