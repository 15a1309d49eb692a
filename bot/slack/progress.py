"""The first answer on a cold mirror: its response message says how the first read goes.

A read of at least LEAST records updates the message at most UPDATES times, each when
it has passed another quarter ("⏳ Reading 1.0 M records for the first time: 50 %");
the answer then replaces that message (bot/slack/workers.py:deliver, `replace`).
"""

from __future__ import annotations

import threading

from slack_bolt import Respond

from bot.render.answers import first_read_text

LEAST = 20_000  # smaller first reads take a second or two: the answer itself comes soon
UPDATES = 3


class FirstRead:
    """A sync's progress listener (MetricsSource.listening) that posts through `respond`."""

    def __init__(self, respond: Respond, *, least: int = LEAST, updates: int = UPDATES) -> None:
        self.respond, self.least, self.updates = respond, least, updates
        self.shown = 0  # updates posted: once any, the answer replaces the message
        self._lock = threading.Lock()

    def __call__(self, done: int, expected: int) -> None:
        if expected < self.least:
            return
        step = min(self.updates, done * (self.updates + 1) // expected)
        with self._lock:
            if step <= self.shown:
                return
            first, self.shown = self.shown == 0, step
        self.respond(
            text=first_read_text(done, expected),
            response_type="ephemeral",
            replace_original=not first,
        )
