"""The Bolt app as `serve` builds it, fed signed requests in-process: answers are read where
users would see them, in the fake Slack's response_url posts."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.early import CARD_WAIT_S
from bot.slack.workers import Workers
from revenium.secret import Secret
from storage.db import ThreadDatabases
from tests.fakes.revenium import source_over
from tests.fakes.signing import SECRET, block_action_body, signed_headers, slash_command_body
from tests.support.world import CHANNEL, World

_responses = itertools.count(1)
Until = Callable[[list[dict[str, Any]]], bool]


class Bolt:
    """`bolt.command(text, user)` answers as Slack would show it; `workers` is the pool."""

    def __init__(
        self, world: World, workers: Workers | None = None, *, card_wait: float = CARD_WAIT_S
    ) -> None:
        self.world = world
        settings = Settings(
            slack_bot_token=Secret(world.slack.token),
            tz="UTC",
            slack_signing_secret=Secret(SECRET),
            slack_api_url=world.slack.url,
        )
        self.dbs = ThreadDatabases(world.db_path)
        self.rt = Runtime(settings, world.clock, source_over(world.box), self.dbs)
        client = WebClient(token=world.slack.token, base_url=world.slack.url)
        self.workers = workers or Workers(threads=2)
        self.app: App = build_app(settings, self.rt, client, self.workers, card_wait=card_wait)

    def dispatch(self, body: bytes) -> int:
        signed = signed_headers(body, SECRET, int(time.time()))  # Bolt checks the real clock
        headers: dict[str, str | Sequence[str]] = dict(signed)
        return self.app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status

    def send(self, text: str, user: str) -> str:
        """Dispatch `/imgmetrics text` (acked); the id its response_url posts are kept under."""
        rid = f"cmd{next(_responses)}"
        url = self.world.slack.response_url(rid, channel=CHANNEL, user=user)
        assert self.dispatch(slash_command_body(text, user, CHANNEL, url)) == 200
        return rid

    def answer(self, rid: str) -> dict[str, Any]:
        return self.answers(rid)[0]

    def answers(self, rid: str, posts: int = 1) -> list[dict[str, Any]]:
        """The first `posts` response_url posts under `rid`."""
        slack = self.world.slack
        found = slack.wait_for(lambda: len(slack.responses(rid)) >= posts and slack.responses(rid))
        return [dict(p) for p in found]

    def command(self, text: str, user: str) -> dict[str, Any]:
        return self.answer(self.send(text, user))

    def ask(
        self, text: str, user: str, until: Until = bool, timeout: float = 60.0
    ) -> list[dict[str, Any]]:
        """Every post of a command's response_url (progress, then the answer), once `until`
        holds of them."""
        rid = self.send(text, user)

        def posted() -> list[dict[str, Any]]:
            posts = [dict(p) for p in self.world.slack.responses(rid)]
            return posts if posts and until(posts) else []

        return self.world.slack.wait_for(posted, timeout=timeout)

    def click(self, message: dict[str, Any], action_id: str, user: str) -> dict[str, Any]:
        """Click the button `action_id` of a message in the channel."""
        value = next(
            e["value"]
            for b in message["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == action_id
        )
        rid = f"click{next(_responses)}"
        url = self.world.slack.response_url(rid, channel=CHANNEL, user=user)
        body = block_action_body(action_id, value, user, CHANNEL, url, message=message)
        assert self.dispatch(body) == 200
        return self.answer(rid)

    def close(self) -> None:
        self.workers.shutdown()
        self.rt.source.close()
