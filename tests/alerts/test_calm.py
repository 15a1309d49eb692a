"""Calm alerts end to end (sandbox, state db, fake Slack, fake clock): an alert on a whole
provider holds back per-model alerts of it, a critical alert holds back a warning one on the
same scope, `inhibits` names whom a rule holds back; held-back alerts are listed in the
holder's thread and post once it resolves; a new model is said once and never resolved."""

from __future__ import annotations

from datetime import timedelta

from storage import alerts as A
from tests.support.rules import typed_rule
from tests.support.world import CHANNEL, T0, World, per_minute

H = timedelta(hours=1)
M = timedelta(minutes=1)


def openai(world: World, start: timedelta, end: timedelta, cost: float) -> None:
    world.box.add_records(per_minute(T0 + start, T0 + end, cost, provider="OPENAI"))


def test_a_provider_alert_holds_back_its_models_until_it_resolves(world: World) -> None:
    openai(world, -H, H, 2.0)  # dall-e-3 on OPENAI: $120 an hour
    openai(world, H, 4 * H, 1.0)  # then $60: the provider's $100 resolves, the model's $50 not
    proc = world.process()
    proc.add_rule(typed_rule(f"openai when cost > 100 per 1h provider:OPENAI in #{CHANNEL}"))
    proc.add_rule(typed_rule(f"per-model when cost > 50 per 1h by model in #{CHANNEL}"))
    proc.run_until(T0 + 30 * M)
    [holder] = world.top_level()
    assert holder["text"].startswith("🔴 openai — spent $120.00")
    [held] = world.replies(holder["ts"])
    assert held["text"] == "⏸ Held back: per-model"
    assert "dall-e-3 spent *$120.00*" in str(held["blocks"]) and "whole provider" in str(
        held["blocks"]
    )
    notes = [e.note for e in A.evaluations(proc.db, "per-model", limit=10)]
    assert notes[0].startswith("firing, held back by another alert (listed in its thread)")

    proc.run_until(T0 + 2 * H + 30 * M)  # openai resolved near T0+2h; per-model still fires
    first, second = world.top_level()
    assert world.slack.message(CHANNEL, first["ts"])["text"].startswith("✅ openai")
    assert second["text"].startswith("🔴 per-model — dall-e-3 spent $")
    assert "What moved vs the hour before" in str(second["blocks"])  # asked on its release
    assert len(world.replies(holder["ts"])) == 2  # the held note once, then the resolve
    later = A.evaluations(proc.db, "per-model", limit=1)[0]
    assert later.note.startswith("still firing: already posted")


def test_critical_holds_back_warning_on_the_same_scope_and_inhibits_names_rules(
    world: World,
) -> None:
    openai(world, -H, 2 * H, 2.0)
    proc = world.process()
    rules = (
        f"crit when cost > 100 per 1h by model severity critical in #{CHANNEL}",
        f"warn when cost > 50 per 1h by model in #{CHANNEL}",
        f"errs when error-rate > 50% per 1h in #{CHANNEL}",  # never fires: holds nothing
        f"images when images > 30 per 1h inhibits warn,other in #{CHANNEL}",
    )
    for text in rules:
        proc.add_rule(typed_rule(text))
    proc.run_until(T0 + 20 * M)
    tops = [m["text"].split(" — ")[0] for m in world.top_level()]
    assert tops == ["🔴 crit", "🔴 images"]  # critical first; images is held by nothing
    crit = world.top_level()[0]
    [note] = world.replies(crit["ts"])
    assert note["text"] == "⏸ Held back: warn" and "critical alert" in str(note["blocks"])
    assert world.replies(world.top_level()[1]["ts"]) == []  # warn was held once, by crit


def test_a_new_model_is_said_once_and_never_resolved(world: World) -> None:
    # dall-e-3 once an hour for 31 days; gpt-image-2 from T0 on, for 3 hours.
    hourly = [T0 - timedelta(days=31) + i * H for i in range(31 * 24 + 4)]
    world.box.add_records(
        rec for when in hourly for rec in per_minute(when, when + M, 0.04, model="dall-e-3")
    )
    world.box.add_records(per_minute(T0, T0 + 3 * H, 0.08, model="gpt-image-2"))
    proc = world.process()
    proc.add_rule(typed_rule(f"new-models when new model in #{CHANNEL}"))
    proc.run_until(T0 + 3 * H)
    [post] = world.top_level()
    assert post["text"].startswith("🔴 new-models — new model gpt-image-2: $")
    assert "none in the 30 days before" in post["text"]
    assert world.slack.calls("chat.update") == [] and world.replies(post["ts"]) == []
    # Seen for over an hour: no longer new, closed without a word.
    states = A.load_states(proc.db, "new-models")
    assert {g: s.state.value for g, s in states.items()} == {
        "dall-e-3": "normal",
        "gpt-image-2": "normal",
    }
