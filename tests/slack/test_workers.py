"""The pool behind the acks, through the real Bolt app: bounded, so a full queue is told
"busy" at once instead of growing, and every answer — good or a bug — gives its place back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bot.slack.workers import BUSY, OUR_FAULT, Workers
from revenium.source import MetricsSource
from tests.support.bolt import Bolt
from tests.support.world import World

ANN = "U0ANN"
WAIT_S = 10


class Held:
    """A metrics source whose summaries wait until `release` is set (bounded)."""

    def __init__(self, inner: MetricsSource) -> None:
        self.inner = inner
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def summary(self, query: Any) -> Any:
        self.started.release()
        assert self.release.wait(WAIT_S), "the test never released the answer"
        return self.inner.summary(query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def bolt(world: World) -> Iterator[Bolt]:
    found = Bolt(world, Workers(threads=1, queued=1))
    yield found
    found.close()


def test_a_full_queue_says_busy_at_once_and_answers_resume(world: World, bolt: Bolt) -> None:
    held = Held(bolt.rt.source)
    bolt.rt.source = held  # type: ignore[assignment]
    running = bolt.send("summary last 1h", ANN)
    assert held.started.acquire(timeout=WAIT_S)
    queued = bolt.send("summary last 1h", ANN)
    turned_away = bolt.send("summary last 1h", ANN)
    busy = bolt.answer(turned_away)  # while the other two still wait
    assert busy == {**busy, "text": BUSY, "response_type": "ephemeral"}
    assert world.slack.responses(running) == world.slack.responses(queued) == []
    held.release.set()
    for rid in (running, queued):
        assert "spent" in bolt.answer(rid)["text"]
    assert "spent" in bolt.command("summary last 1h", ANN)["text"]  # places were given back


class Exploding:
    """A metrics source with a bug in it."""

    def summary(self, query: Any) -> Any:
        raise RuntimeError("a bug")

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def test_an_answer_that_fails_gives_its_place_back(bolt: Bolt) -> None:
    bolt.rt.source = Exploding()  # type: ignore[assignment]
    for _ in range(3):  # one thread, one place in the queue: a leak would say busy here
        assert bolt.command("summary last 1h", ANN)["text"] == OUR_FAULT
