"""Quiet hours end to end (sandbox, state db, fake Slack, fake clock), across the night DST
ends in Berlin and across a change of zone: inside them only critical alerts post; when they
end one summary says what fired and resolved meanwhile, then what still fires posts and the
resolves that waited edit their messages. A restart in the night loses and repeats nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands.router import handle
from bot.reply import Context
from storage import outbox as O
from tests.support.rules import typed_rule
from tests.support.world import CHANNEL, Process, World, per_minute

H = timedelta(hours=1)
M = timedelta(minutes=1)
STEP = 5 * M
# Saturday Oct 24, 2026: Berlin is on CEST (UTC+2) until 03:00 on Sunday, then CET (UTC+1).
# Quiet 22:00-07:00 there is 20:00 UTC Saturday to 06:00 UTC Sunday: ten hours, not nine.
DAY = datetime(2026, 10, 24, tzinfo=UTC)
QUIET_FROM, QUIET_TO = DAY + 20 * H, DAY + 30 * H


def at(hours: float) -> datetime:
    return DAY + timedelta(hours=hours)


def spend(world: World, model: str, start: float, end: float, **extra: Any) -> None:
    """$2 a minute on `model` from `start` to `end` hours after Saturday 00:00 UTC."""
    world.box.add_records(per_minute(at(start), at(end), 2.0, model=model, **extra))


@dataclass
class Night:
    """Passes every 5 minutes; what reached the channel's top level, and when."""

    world: World
    posts: list[tuple[datetime, str]] = field(default_factory=list)
    edits: list[tuple[datetime, str]] = field(default_factory=list)

    def run(self, proc: Process, until: datetime) -> None:
        for _ in range(1000):
            now = self.world.clock.now()
            if now > until:
                return
            seen, edited = len(self.world.top_level()), len(self.world.slack.calls("chat.update"))
            proc.tick()
            self.posts += [(now, m["text"]) for m in self.world.top_level()[seen:]]
            updates = self.world.slack.calls("chat.update")[edited:]
            self.edits += [(now, str(c.params.get("text"))) for c in updates]
            self.world.clock.set(now + STEP)

    def posted(self, start: datetime, end: datetime) -> list[str]:
        return [text for when, text in self.posts if start <= when < end]


def say(proc: Process, text: str) -> None:
    handle(text, Context(user="U_CONSOLE", channel=CHANNEL), proc.rt)


def test_a_quiet_night_across_the_end_of_dst_posts_what_the_rules_say(world: World) -> None:
    spend(world, "dall-e-3", 18.5, 21)  # fires at 21:35 Berlin, resolves at ~23:55 (quiet)
    spend(world, "flux-pro", 22, 23.5)  # fires and resolves inside the quiet hours
    spend(world, "gpt-image-1", 28, 31)  # fires at 05:35 CET, still firing at 07:00
    errored = {"errorReason": "timeout", "totalCost": 0.0}
    world.box.add_records(
        {**r, **errored} for r in per_minute(at(25), at(26.5), 0.0, model="imagen-4")
    )
    world.clock.set(at(18))
    proc = world.process("before-restart")
    say(proc, f"quiet 22:00-07:00 tz Europe/Berlin in <#{CHANNEL}|finops>")
    proc.add_rule(typed_rule(f"warn when cost > 50 per 1h by model in #{CHANNEL}", at(18)))
    crit = f"crit when errors > 10 per 1h severity critical in #{CHANNEL}"
    proc.add_rule(typed_rule(crit, at(18)))
    night = Night(world)
    night.run(proc, at(25.5))
    proc.close()  # a restart at 02:30 CET, the second 02:30 of the night
    night.run(world.process("after-restart"), at(31))

    before = night.posted(at(18), QUIET_FROM)
    assert [t.split(" — ")[0] for t in before] == ["🔴 warn"]  # dall-e-3, before 22:00
    inside = night.posted(QUIET_FROM, QUIET_TO)
    assert [t.split(" — ")[0] for t in inside] == ["🔴 crit"]  # critical speaks at night
    assert all(not t.startswith("✅ warn") for when, t in night.edits if when < QUIET_TO)
    summary, *after = night.posted(QUIET_TO, at(31))
    assert summary.startswith("🌅 Quiet hours (22:00–07:00 Europe/Berlin) are over")
    [message] = [m for m in world.top_level() if m["text"] == summary]
    listed = str(message["blocks"])
    assert "Fired and resolved meanwhile:* `warn` flux-pro" in listed
    assert "Still firing* (the alerts follow): `warn` gpt-image-1" in listed
    assert "Resolved meanwhile* (their messages updated): `warn` dall-e-3" in listed
    assert [t.split(" — ")[0] for t in after] == ["🔴 warn"]
    assert after[0].startswith("🔴 warn — gpt-image-1 spent")
    resolved = [when for when, t in night.edits if t.startswith("✅ warn dall-e-3")]
    assert resolved == [QUIET_TO]  # the resolve that waited, once
    assert not any("flux-pro" in t for _, t in night.posts if not t.startswith("🌅"))
    # 07:00 CET is 06:00 UTC: the first pass after it summed the night up, once.
    assert [when for when, t in night.posts if t.startswith("🌅")] == [QUIET_TO]


def test_a_change_of_zone_ends_the_quiet_hours_there_and_then(world: World) -> None:
    spend(world, "flux-pro", 20, 22)  # fires at 22:40 Berlin: held
    spend(world, "gpt-image-1", 26, 36)  # fires at 22:40 New York (EDT, UTC-4): held again
    world.clock.set(at(20))
    proc = world.process()
    say(proc, f"quiet 22:00-07:00 tz Europe/Berlin in <#{CHANNEL}|finops>")
    proc.add_rule(typed_rule(f"warn when cost > 50 per 1h by model in #{CHANNEL}", at(20)))
    night = Night(world)
    night.run(proc, at(21))
    assert night.posts == []
    say(proc, f"quiet 22:00-07:00 tz America/New_York in <#{CHANNEL}|finops>")  # 17:00 there
    proc.tick(dispatch=False)  # the summary and the freed alert queued, then a crash
    proc.close()
    proc = world.process("after-crash")
    night.run(proc, at(35.5))
    summaries = [(when, t) for when, t in night.posts if t.startswith("🌅")]
    # Queued at 21:05, sent once the crashed process's lease lapsed; 07:00 EDT is 11:00 UTC.
    assert [when for when, _ in summaries] == [at(21) + 2 * STEP, at(35)]
    assert all("22:00–07:00 America/New_York" in t for _, t in summaries)
    alerts = [(when, t.split(" spent")[0]) for when, t in night.posts if t.startswith("🔴")]
    assert [(w >= at(21), a) for w, a in alerts] == [
        (True, "🔴 warn — flux-pro"),
        (True, "🔴 warn — gpt-image-1"),
    ]
    assert alerts[1][0] == at(35)
    assert O.deferred(proc.db) == []
