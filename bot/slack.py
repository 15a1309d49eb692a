"""The Bolt app: ack within milliseconds, answer through `respond()` from a worker pool.

Bolt acks from inside its listener thread; slow work queued on that same pool
would delay later acks (DESIGN.md §3), so every listener acks and hands the
work to `Workers`, a separate bounded pool.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.commands import Runtime, handle
from bot.config import Settings
from bot.errors import UserError, shown
from bot.reply import Attachment, Context, Reply
from revenium.errors import ReveniumError

log = logging.getLogger(__name__)

LISTENER_THREADS = 16  # only acks run here; they take microseconds
WORKER_THREADS = 8  # answers: API reads, rendering, charts
QUERY_ACTIONS = {  # button action_id -> how its stored query text is re-asked
    "share": "{q} share",
    "top_models": "top model {q}",
    "trend": "trend {q}",
    "show_records": "list {q}",
}


def web_client(settings: Settings) -> WebClient:
    """The one WebClient: Slack's base URL from settings, retrying 429s and 5xx."""
    client = WebClient(
        token=settings.slack_bot_token.reveal(),
        base_url=settings.slack_api_url,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )
    return client


def quiet_slack_logs() -> None:
    """Bolt logs request bodies at INFO on signature failure; keep its loggers at WARNING."""
    for name in ("slack_bolt", "slack_sdk"):
        logging.getLogger(name).setLevel(logging.WARNING)


class Workers:
    """The pool that answers after the ack; every failure becomes a reply, never a trace."""

    def __init__(self, threads: int = WORKER_THREADS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="imgmetrics")

    def submit(self, work: Callable[[], None]) -> None:
        self.pool.submit(self._guard, work)

    @staticmethod
    def _guard(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # the last line of defence of a worker thread: log, never die
            log.exception("answering a command failed")

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def answer_text(text: str, ctx: Context, rt: Runtime, offset: int = 0) -> Reply | str:
    """A reply, or the message of an error the user should see."""
    return _answered(lambda: handle(text, ctx, rt, offset=offset))


def answer_click(action_id: str, value: str, ctx: Context, rt: Runtime) -> Reply | str:
    """An alert or rule-card button (silence, unsilence, pause, resume, test)."""
    from bot.rule_commands import click

    return _answered(lambda: click(action_id, value, ctx, rt))


def _answered(work: Callable[[], Reply]) -> Reply | str:
    try:
        return work()
    except UserError as e:
        return shown(e)
    except ReveniumError as e:
        return f"⚠ Revenium: {e}"


def deliver(
    reply: Reply | str, respond: Respond, client: WebClient, ctx: Context, *, replace: bool = False
) -> None:
    if isinstance(reply, str):
        respond(text=reply, response_type="ephemeral", replace_original=False)
        return
    respond(
        text=reply.text,
        blocks=reply.blocks,
        response_type="in_channel" if reply.share else "ephemeral",
        replace_original=replace,
    )
    for attachment in reply.files:
        send_file(client, attachment, ctx)


def send_file(client: WebClient, attachment: Attachment, ctx: Context) -> None:
    """Files go to the requester's DM unless the answer was shared into the channel."""
    channel = ctx.channel
    if attachment.to_dm:
        channel = client.conversations_open(users=ctx.user)["channel"]["id"]
    client.files_upload_v2(
        channel=channel, content=attachment.content, filename=attachment.filename,
        title=attachment.title,
    )  # fmt: skip


def build_app(settings: Settings, rt: Runtime, client: WebClient, workers: Workers) -> App:
    quiet_slack_logs()
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.reveal(),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS),
        logger=logging.getLogger("slack_bolt.App"),
    )

    @app.command("/imgmetrics")
    def command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx = Context(
            user=body["user_id"], channel=body["channel_id"], team=body.get("team_id", "")
        )
        text = body.get("text", "")
        workers.submit(lambda: deliver(answer_text(text, ctx, rt), respond, client, ctx))

    def on_query_button(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                        respond: Respond) -> None:  # fmt: skip
        ack()
        ctx = _action_context(body)
        text = QUERY_ACTIONS[action["action_id"]].format(q=action.get("value", ""))
        workers.submit(lambda: deliver(answer_text(text, ctx, rt), respond, client, ctx))

    for action_id in QUERY_ACTIONS:
        app.action(action_id)(on_query_button)

    def on_alert_button(ack: Ack, body: dict[str, Any], action: dict[str, Any],
                        respond: Respond) -> None:  # fmt: skip
        """Silence 1h/4h/24h, Unsilence, Pause, Resume, Test now: admins are asked again."""
        ack()
        ctx = _action_context(body)
        action_id, value = action["action_id"], action.get("value", "")
        workers.submit(
            lambda: deliver(answer_click(action_id, value, ctx, rt), respond, client, ctx)
        )

    from bot.rule_commands import BUTTONS

    for action_id in BUTTONS:
        app.action(action_id)(on_alert_button)

    @app.action("list_next")
    def list_next(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx = _action_context(body)
        offset, _, query_text = action.get("value", "0|").partition("|")
        text, start = f"list {query_text}", int(offset) if offset.isdigit() else 0
        workers.submit(lambda: deliver(answer_text(text, ctx, rt, start), respond, client, ctx,
                                       replace=True))  # fmt: skip

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        from bot.home import home_view

        def publish() -> None:
            client.views_publish(user_id=event["user"], view=home_view())

        workers.submit(publish)

    return app


def _action_context(body: dict[str, Any]) -> Context:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return Context(
        user=body["user"]["id"], channel=channel, team=(body.get("team") or {}).get("id", "")
    )
