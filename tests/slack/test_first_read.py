"""The first answer on a cold mirror: its message tells how the first read goes, at most three
times, then the answer replaces it; a warm mirror answers at once, with no progress."""

from __future__ import annotations

from datetime import timedelta

from revenium.sync import Reader
from storage.db import ThreadDatabases
from storage.mirrored import MirroredSource
from tests.fakes.revenium import TEAM, client_over, seeded, source_over
from tests.support.bolt import Bolt
from tests.support.world import T0, World

MARIA = "U0MARIA"


def test_a_long_first_read_shows_its_progress_then_the_answer_replaces_it(world: World) -> None:
    world.box = seeded(end=T0, seed=4, days=36, per_day=700)  # 25,200 records
    bolt = Bolt(world)
    bolt.rt.source = MirroredSource(
        ThreadDatabases(world.tmp / "mirror.db"),
        TEAM,
        Reader(client_over(world.box), {"concurrency": 4}),
        source_over(world.box),
        world.clock,
        freshness=timedelta(seconds=60),
    )
    posts = bolt.ask("summary last 30d", MARIA, until=lambda posts: "⏳" not in posts[-1]["text"])
    progress, answer = posts[:-1], posts[-1]
    assert 1 <= len(progress) <= 3, posts
    assert all(
        p["text"].startswith("⏳ Reading 25 k records for the first time: ") for p in progress
    )
    shares = [int(p["text"].rsplit(" ", 2)[-2]) for p in progress]
    assert shares == sorted(shares) and all(25 <= s <= 100 for s in shares)
    assert [p["replace_original"] for p in progress] == [False] + [True] * (len(progress) - 1)
    assert answer["replace_original"] is True

    again = bolt.ask("summary last 7d", MARIA)
    assert len(again) == 1 and again[0]["replace_original"] is False
