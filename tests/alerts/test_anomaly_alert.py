"""An anomaly alert as a channel reads it: the hour's spend against the band its own past
weeks give for that time of the week, and what moved since the same hour a week before."""

from __future__ import annotations

from datetime import timedelta

from tests.support.rules import typed_rule
from tests.support.world import CHANNEL, T0, World, per_minute

H = timedelta(hours=1)
WEEK = timedelta(days=7)


def test_an_unusual_monday_noon_names_its_band_and_what_moved(world: World) -> None:
    for n in range(1, 6):  # $30 an hour around Monday noon, five weeks running
        world.box.add_records(per_minute(T0 - n * WEEK - 2 * H, T0 - n * WEEK + H, 0.5))
    world.box.add_records(per_minute(T0 - 2 * H, T0 + H, 2.0, model="gpt-image-1"))  # $120
    proc = world.process()
    proc.add_rule(typed_rule(f"odd when cost anomaly per 1h in #{CHANNEL}"))
    proc.run_until(T0 + 10 * timedelta(minutes=1))
    [alert] = world.top_level()
    assert alert["text"] == (
        "🔴 odd — spent $120.00 in the last 1h vs expected $0.00–$60.00 for a Monday "
        "11:00–12:00 (median of 5 past weeks $30.00; resolves below $57.00)"
    )
    moved = str(alert["blocks"])
    assert "What moved vs the same window a week before (+$90.00)" in moved
    assert "model gpt-image-1 +$120.00 (new" in moved and "model dall-e-3 −$30.00" in moved
