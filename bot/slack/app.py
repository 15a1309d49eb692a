"""The Bolt app: ack within milliseconds, answer through `respond()` from a worker pool.

Every listener acks, then hands its work to `Workers` (bot/slack/workers.py); an answer
with a slow part (a rule card's backtest) may come as one message replaced once
(bot/slack/early.py). Errors a person can act on become an ephemeral reply
(bot.errors.explain), here and in the one `@app.error` handler for anything raised
inside Bolt itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import metrics
from bot.commands.buttons import BUTTONS, QUERY_ACTIONS, click
from bot.commands.router import handle
from bot.config import Settings
from bot.errors import Failure, attempt, explain
from bot.grammar.command import PREFIX, VERBS
from bot.render.home import home_view
from bot.reply import Context, Reply
from bot.runtime import Runtime
from bot.slack.admins import admins_for
from bot.slack.early import CARD_WAIT_S, show_when_ready
from bot.slack.progress import FirstRead
from bot.slack.workers import Workers, deliver, tell

log = logging.getLogger(__name__)

LISTENER_THREADS = 16  # only acks run here; they take microseconds


def quiet_slack_logs() -> None:
    """Bolt logs request bodies at INFO on signature failure; keep its loggers at WARNING."""
    for name in ("slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_app(
    settings: Settings,
    rt: Runtime,
    client: WebClient,
    workers: Workers,
    *,
    card_wait: float = CARD_WAIT_S,
) -> App:
    """`card_wait`: seconds an asker waits for a whole answer before seeing part of it."""
    quiet_slack_logs()
    if rt.admins is None:  # admins are asked of this workspace (users.info)
        rt.admins = admins_for(settings, rt.clock)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.reveal(),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
        logger=logging.getLogger("slack_bolt.App"),
    )

    answer_with = Answering(client, workers, rt, card_wait)

    def answer(
        text: str, ctx: Context, respond: Respond, *, offset: int = 0, replace: bool = False
    ) -> None:
        produce = lambda: handle(text, ctx, rt, offset=offset, early=True)  # noqa: E731
        answer_with(verb_of(text), produce, ctx, respond, replace=replace)

    @app.command("/imgmetrics")
    def command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx = Context(
            user=body["user_id"], channel=body["channel_id"], team=body.get("team_id", "")
        )
        answer(body.get("text", ""), ctx, respond)

    def on_query_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        text = QUERY_ACTIONS[action["action_id"]].format(q=action.get("value", ""))
        answer(text, _action_context(body), respond)

    for action_id in QUERY_ACTIONS:
        app.action(action_id)(on_query_button)

    def on_alert_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        """Silence 1h/4h/24h, Unsilence, Pause, Resume, Test now: admins are asked again."""
        ack()
        ctx = _action_context(body)
        action_id, value = action["action_id"], action.get("value", "")
        answer_with("button", lambda: click(action_id, value, ctx, rt), ctx, respond)

    for action_id in BUTTONS:
        app.action(action_id)(on_alert_button)

    @app.action("list_next")
    def list_next(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        offset, _, query_text = action.get("value", "0|").partition("|")
        start = int(offset) if offset.isdigit() else 0
        answer(f"list {query_text}", _action_context(body), respond, offset=start, replace=True)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        def publish() -> None:
            client.views_publish(user_id=event["user"], view=home_view())

        workers.submit(publish)

    @app.error
    def on_error(error: Exception, respond: Respond | None) -> None:
        """Anything a listener raised inside Bolt: the asker reads what they can act on."""
        failure = explain(error)
        if failure is None:
            log.error("handling a Slack request failed", exc_info=error)
            return
        if respond is not None:
            tell(respond, failure)

    return app


@dataclass(frozen=True)
class Answering:
    """Answers on a worker: the reply produced (a long first read of the mirror shown as it
    goes), delivered (a slow part, such as a rule card's backtest, within `card_wait` or as
    a replacement), and counted in bot/metrics.py."""

    client: WebClient
    workers: Workers
    rt: Runtime
    card_wait: float = CARD_WAIT_S

    def __call__(
        self,
        verb: str,
        produce: Callable[[], Reply],
        ctx: Context,
        respond: Respond,
        *,
        replace: bool = False,
    ) -> None:
        def work() -> None:
            started, outcome = time.monotonic(), "error"
            first_read = FirstRead(respond)  # a cold mirror's first read shows its progress

            def show(answer: Reply | Failure, again: bool) -> None:
                shown = again or first_read.shown > 0
                deliver(answer, respond, self.client, ctx, replace=replace or shown)

            try:
                with self.rt.source.listening(first_read):
                    reply = attempt(produce)
                # A slow part (a card's backtest) after the reading shown, never inside it:
                # its early message and the progress would replace each other.
                whole = show_when_ready(reply, show, within=self.card_wait)
                outcome = metrics.outcome(whole)
            finally:
                metrics.answered(verb, outcome, time.monotonic() - started)

        self.workers.submit(work, respond)


def verb_of(text: str) -> str:
    """The command's verb as a metric label: one of the grammar's verbs, never user text."""
    words = text.split()
    if words and words[0].lower() == PREFIX:
        words = words[1:]
    first = words[0].lower() if words else ""
    return first if first in VERBS else "summary"


def _action_context(body: dict[str, Any]) -> Context:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return Context(
        user=body["user"]["id"], channel=channel, team=(body.get("team") or {}).get("id", "")
    )
