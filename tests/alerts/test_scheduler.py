"""The scheduler pass beyond one alert: a failing source said once, budgets latched per period,
digests once per local date, backtest = live replay, folding, escaping, the console."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta

from bot.alerts.notifier import ConsoleNotifier
from bot.alerts.tick import run_pass
from bot.cli.backtest import replay
from rules.model import Budget, Digest, Period
from storage import alerts as A
from storage import budgets as BG
from storage import digests as D
from storage import outbox as O
from tests.support.world import CHANNEL, T0, World, per_minute, spend_rule

H = timedelta(hours=1)
M = timedelta(minutes=1)
DAY = datetime(2026, 11, 2, tzinfo=UTC)


def test_a_failing_source_is_said_once_keeps_states_and_recovery_is_said(world: World) -> None:
    world.box.add_records(per_minute(T0 - H, T0 + 3 * H, 2.0))
    proc = world.process()
    proc.add_rule(spend_rule())
    proc.run_until(T0 + 10 * M)
    [alert] = world.top_level()
    world.box.inject("5xx", count=2)  # the next two passes cannot read
    proc.run_until(T0 + 20 * M)
    posts = world.top_level()
    assert len(posts) == 2 and posts[1]["text"] == "⚠️ The metrics source is failing"
    assert A.load_states(proc.db, "runaway")["dall-e-3"].status.value == "error"
    proc.run_until(T0 + 30 * M)  # answering again: one reply, the same alert still firing
    failing = world.slack.message(CHANNEL, posts[1]["ts"])
    assert failing["text"] == "✅ The metrics source answers again"
    assert "~The metrics source was failing~" in failing["blocks"][0]["text"]["text"]
    assert [m["text"] for m in world.replies(posts[1]["ts"])] == [
        "The metrics source answers again; rules are evaluated as usual."
    ]
    assert len(world.top_level()) == 2 and world.replies(alert["ts"]) == []
    assert A.load_states(proc.db, "runaway")["dall-e-3"].status.value == "firing"
    notes = [e.note for e in A.evaluations(proc.db, "runaway", limit=100)]
    assert sum(n.startswith("source failing") for n in notes) == 2


def test_budget_thresholds_post_once_each_per_period(world: World) -> None:
    world.box.add_records(per_minute(DAY, DAY + 2 * H, 2.0))  # $100 by 00:50
    world.box.add_records(per_minute(DAY + 24 * H, DAY + 25 * H, 1.0))  # $60 the next day
    world.clock.set(DAY)
    proc = world.process()
    BG.add_budget(proc.db, Budget("daily", 100, Period.DAY, channel=CHANNEL, forecast=False), DAY)
    proc.run_until(DAY + 26 * H, step=15 * M)
    texts = [m["text"] for m in world.top_level()]
    assert texts == [
        "💰 Budget daily: 50 % of $100.00 reached",
        "💰 Budget daily: 80 % of $100.00 reached",
        "💰 Budget daily: 100 % of $100.00 reached",
        "💰 Budget daily: 50 % of $100.00 reached",  # a new day, a new period
    ]
    assert BG.budget_latches(proc.db, "daily", DAY)[0] == frozenset({50, 80, 100})


def test_a_budget_forecast_warns_once(world: World) -> None:
    world.box.add_records(per_minute(DAY, DAY + 6 * H, 1.0))  # $60/h: on pace for $1,440
    world.clock.set(DAY)
    proc = world.process()
    BG.add_budget(
        proc.db, Budget("month", 1000, Period.DAY, channel=CHANNEL, thresholds=(200,)), DAY
    )
    proc.run_until(DAY + 8 * H, step=30 * M)
    [post] = world.top_level()
    assert post["text"] == "📈 Budget month is forecast to end over $1,000.00"
    assert "at this pace" in str(post["blocks"]) and "by Nov 02" in str(post["blocks"])


def test_digests_post_once_per_local_date_and_once_late_after_an_outage(world: World) -> None:
    world.box.add_records(per_minute(DAY - 3 * 24 * H, DAY + 5 * 24 * H, 0.01))
    world.clock.set(DAY)
    proc = world.process()
    digest = Digest(CHANNEL, time(9, 0), DAY, tz="America/New_York")  # Nov 1, 19:00 there
    D.save_digest(proc.db, digest)
    proc.run_until(DAY + 48 * H, step=30 * M)
    proc.tick()  # a repeated tick at the same instant
    posts = world.top_level()
    assert len(posts) == 2  # Nov 2 and Nov 3, New York time
    assert D.digest_last_posted(proc.db, CHANNEL, "daily") == DAY.date() + timedelta(days=1)
    world.clock.set(DAY + 5 * 24 * H + 3 * H)  # down for three days
    proc.tick()
    proc.tick()
    assert len(world.top_level()) == 3  # one late digest, not three
    keys = [json.loads(r.key) for r in O.happened_since(proc.db, DAY - H, ["digest"])]
    assert [k[3] for k in keys] == ["2026-11-02", "2026-11-03", "2026-11-06"]


def test_a_backtest_gives_the_same_messages_as_a_live_replay(world: World) -> None:
    start, end = T0, T0 + 12 * H
    world.box.add_records(per_minute(start - 2 * H, end, 0.2, model="flux-pro"))
    world.box.add_records(per_minute(start + 2 * H, start + 4 * H, 2.0))
    world.box.add_records(per_minute(start + 5 * H, start + 11 * H, 1.5, model="gpt-image-1"))
    rule = spend_rule()
    proc = world.process()
    backtested = replay(rule, proc.rt.history, start, end)
    proc.add_rule(rule)
    world.clock.set(start)
    proc.run_until(end - M)
    live = [(r.created_at, r.key, r.kind, r.payload) for r in O.happened_since(proc.db, start)]
    expected = [(b.at, b.note.key, b.note.kind.value, b.payload) for b in backtested]
    assert [k for _, _, k, _ in expected] == ["fired", "resolved", "fired", "reminder", "resolved"]
    assert live == expected


def test_instances_past_max_groups_are_folded_into_one_message(world: World) -> None:
    for model in ("dall-e-3", "gpt-image-1", "flux-pro"):
        world.box.add_records(per_minute(T0 - H, T0 + H, 2.0, model=model))
    proc = world.process()
    proc.add_rule(spend_rule(max_groups=1))
    proc.run_until(T0 + 10 * M)
    texts = [m["text"] for m in world.top_level()]
    assert len(texts) == 2 and texts[1] == "🔴 runaway — 2 more also breach"


def test_api_strings_are_escaped_in_alerts(world: World) -> None:
    world.box.add_records(per_minute(T0 - H, T0 + H, 2.0, model="<!channel> & co"))
    proc = world.process()
    proc.add_rule(spend_rule())
    proc.run_until(T0 + 10 * M)
    [alert] = world.top_level()
    shown = " ".join([alert["text"], *texts_in(alert["blocks"])])
    assert "&lt;!channel&gt; &amp; co" in shown and "<!channel>" not in shown


def texts_in(value: object) -> list[str]:
    """Every `text` Slack renders in some blocks (button values are opaque, not shown)."""
    if isinstance(value, list):
        return [t for item in value for t in texts_in(item)]
    if not isinstance(value, dict):
        return []
    found = [value["text"]] if isinstance(value.get("text"), str) else []
    return found + [t for k, v in value.items() if k != "value" for t in texts_in(v)]


def test_the_console_prints_alerts_and_their_resolve(world: World) -> None:
    world.box.add_records(per_minute(T0 - H, T0 + 10 * M, 2.0))
    proc = world.process()
    proc.add_rule(spend_rule())
    out = io.StringIO()
    console = ConsoleNotifier(out)
    for _ in range(30):
        run_pass(proc.rt, console, world.clock.now(), holder="console", sleep=world.sleep)
        world.clock.advance(5 * M)
    printed = out.getvalue()
    assert printed.count("🔴 runaway") == 1
    assert f"#{CHANNEL} (edited 1.000000)" in printed and "Resolved at" in printed
    assert world.slack.calls("chat.postMessage") == []
