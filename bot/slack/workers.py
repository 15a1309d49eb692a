"""The pool that answers after the ack, and the delivery of an answer: `respond()` to the
command's response_url, files to the thread or the requester's DM.

Bolt acks from inside its listener thread; slow work queued on that same pool would
delay later acks (DESIGN.md §3), so every listener acks and hands the work here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.errors import Failure
from bot.reply import Attachment, Context, Reply

log = logging.getLogger(__name__)

WORKER_THREADS = 8  # answers: API reads, rendering, charts
OUR_FAULT = "⚠ Something went wrong on our side answering that (it is logged). Try again."


class Workers:
    """Runs answers; a bug in one is logged and told to its asker, and the pool lives on."""

    def __init__(self, threads: int = WORKER_THREADS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="imgmetrics")

    def submit(self, work: Callable[[], None], respond: Respond | None = None) -> None:
        self.pool.submit(self._guard, work, respond)

    @staticmethod
    def _guard(work: Callable[[], None], respond: Respond | None) -> None:
        try:
            work()
        except Exception:  # the last line of defence of a worker thread: log, never die
            log.exception("answering a command failed")
            if respond is not None:
                try:
                    respond(text=OUR_FAULT, response_type="ephemeral", replace_original=False)
                except Exception:  # Slack unreachable too: the log has it
                    log.warning("could not tell the user that answering failed")

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def deliver(
    reply: Reply | Failure,
    respond: Respond,
    client: WebClient,
    ctx: Context,
    *,
    replace: bool = False,
) -> None:
    if isinstance(reply, Failure):  # `replace`: what it answers (or its progress) is replaced
        respond(text=reply.shown, response_type="ephemeral", replace_original=replace)
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
        channel=channel,
        content=attachment.content,
        filename=attachment.filename,
        title=attachment.title,
    )
