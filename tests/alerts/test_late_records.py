"""Rules and budgets over the mirror when records arrive late: the next evaluation uses the
corrected figures, and a threshold crossed only by late records posts once."""

from __future__ import annotations

from datetime import timedelta

from rules.model import Budget, Period
from storage import alerts as A
from storage import budgets as BG
from tests.support.world import CHANNEL, T0, World, per_minute, spend_rule

H, M = timedelta(hours=1), timedelta(minutes=1)


def test_a_window_corrected_by_late_records_is_evaluated_on_the_new_figures(world: World) -> None:
    world.box.add_records(per_minute(T0 - 3 * H, T0, 0.5))  # $30 an hour: under the $50 rule
    proc = world.process(mirrored=True)
    proc.add_rule(spend_rule())  # cost > $50 per 1h by model
    proc.run_until(T0 + 20 * M)
    assert world.top_level() == []
    # 40 requests of the last hour reach the API only now, up to an hour late.
    world.box.add_records(per_minute(T0 - 30 * M, T0 + 10 * M, 1.0, agent="retrying-sdk"))
    proc.run_until(T0 + 40 * M)
    [alert] = world.top_level()
    assert "runaway" in alert["text"]
    values = [e.value for e in A.evaluations(proc.db, "runaway", limit=100) if e.value]
    assert max(values) > 50  # the figures the engine saw were the corrected ones
    proc.close()


def test_a_budget_crossed_only_by_late_records_posts_once(world: World) -> None:
    day = T0.replace(hour=0)
    world.box.add_records(per_minute(day, day + 2 * H, 0.5))  # $60 of $100
    world.clock.set(day + 3 * H)
    proc = world.process(mirrored=True)
    budget = Budget("daily", 100, Period.DAY, channel=CHANNEL, forecast=False, thresholds=(100,))
    BG.add_budget(proc.db, budget, world.clock.now())
    proc.run_until(day + 4 * H, step=15 * M)
    assert world.top_level() == []
    world.box.add_records(per_minute(day + H, day + 2 * H, 1.0, agent="late"))  # $60 more, late
    proc.run_until(day + 8 * H, step=15 * M)
    assert [m["text"] for m in world.top_level()] == ["💰 Budget daily: 100 % of $100.00 reached"]
    proc.close()
