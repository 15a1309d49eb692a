"""The pool that answers after the ack, and the delivery of an answer: `respond()` to the
command's response_url, files to the thread or the requester's DM.

Bolt acks from inside its listener thread; slow work queued on that same pool would
delay later acks (DESIGN.md §3), so every listener acks and hands the work here. The
queue is bounded: past it, the asker is told at once that we are busy, and nothing grows.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.errors import Failure
from bot.render.blocks import escape
from bot.reply import Attachment, Context, Reply

log = logging.getLogger(__name__)

WORKER_THREADS = 8  # answers: API reads, rendering, charts
QUEUE_DEPTH = 64  # answers waiting for a thread; one more is turned away at once
OUR_FAULT = "⚠ Something went wrong on our side answering that (it is logged). Try again."
BUSY = "⏳ imgmetrics is busy answering others right now — try again in a minute."


class Workers:
    """Runs answers; a bug in one is logged and told to its asker, and the pool lives on.
    At most `threads + queued` answers are held at once; `submit` refuses the next one."""

    def __init__(self, threads: int = WORKER_THREADS, queued: int = QUEUE_DEPTH) -> None:
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="imgmetrics")
        self.limit = threads + queued
        self._room = threading.BoundedSemaphore(self.limit)
        self._taken: set[Future[None]] = set()

    def submit(self, work: Callable[[], None], respond: Respond | None = None) -> None:
        """Queue `work`, or, when the queue is full, tell the asker at once that we are busy."""
        if not self._room.acquire(blocking=False):
            log.warning("%d answers in hand already: one more turned away as busy", self.limit)
            _say(respond, BUSY, "that we are busy")
            return
        try:
            taken = self.pool.submit(self._guard, work, respond)
        except RuntimeError:  # shut down: nothing will run it
            self._room.release()
            raise
        self._taken.add(taken)  # until it is done: what a stop waits for
        taken.add_done_callback(self._taken.discard)

    def _guard(self, work: Callable[[], None], respond: Respond | None) -> None:
        try:
            work()
        except Exception:  # the last line of defence of a worker thread: log, never die
            log.exception("answering a command failed")
            _say(respond, OUR_FAULT, "that answering failed")
        finally:
            self._room.release()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Take no more work and finish what was taken, for `timeout` seconds at most (None:
        as long as it takes); then drop what has not started. True if nothing was dropped."""
        self.pool.shutdown(wait=False)
        _, running = wait(list(self._taken), timeout=timeout)
        done = not running
        if not done:
            log.warning("answers still running after %.0f s were abandoned", timeout)
            self.pool.shutdown(wait=False, cancel_futures=True)
        return done


def _say(respond: Respond | None, text: str, what: str) -> None:
    """An ephemeral word of our own to the asker, when there is one; Slack failing too is
    only logged (this runs where nothing else would catch it)."""
    if respond is None:
        return
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not tell the user %s", what)


def deliver(
    reply: Reply | Failure,
    respond: Respond,
    client: WebClient,
    ctx: Context,
    *,
    replace: bool = False,
) -> None:
    if isinstance(reply, Failure):  # `replace`: what it answers (or its progress) is replaced
        tell(respond, reply, replace=replace)
        return
    respond(
        text=reply.text,
        blocks=reply.blocks,
        response_type="in_channel" if reply.share else "ephemeral",
        replace_original=replace,
    )
    for attachment in reply.files:
        send_file(client, attachment, ctx)


def tell(respond: Respond, failure: Failure, *, replace: bool = False) -> None:
    """An error, to the asker alone. Its words quote what was typed (`<!channel>` too) and
    are plain text for the console and `ask`: escaped here, where they become Slack's."""
    respond(text=escape(failure.shown), response_type="ephemeral", replace_original=replace)


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
