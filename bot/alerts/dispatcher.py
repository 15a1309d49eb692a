"""The dispatcher: drains the outbox into a Notifier, exactly once, paced, in order.

Per channel, rows go out in queue order, at least `pace` apart; a 429 holds the channel
for its Retry-After and the row keeps its place. A reply or resolve waits for the message
it belongs to. Other failures retry with back-off for 24 h, then the row is given up.
A row is marked `attempted` before its send; a row that was attempted before (a crash, a
lost connection) is first looked for among the bot's recent posts, and only sent if absent.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlite_utils import Database

from bot import metrics
from bot.alerts.notifier import Notifier
from bot.alerts.outgoing import Resolve, ThreadReply, payload_of
from bot.errors import DeliveryError, SlackRateLimited
from bot.render.blocks import Message
from revenium.clock import Clock
from storage import outbox as O

log = logging.getLogger(__name__)

PACE = timedelta(seconds=1.1)  # Slack allows about one message per second per channel
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
MAX_WAIT = timedelta(seconds=60)  # wait this long in one drain; longer waits: next pass
# Sending this long in one pass at most: a backlog (1.1 s a post per channel) must not hold
# up the next evaluation; what is left goes out in the next passes, in order.
DRAIN_BUDGET = timedelta(seconds=60)
LOOKBACK = timedelta(minutes=15)  # how far before the first attempt to look for our post
STALE_CLAIM = timedelta(seconds=60)  # an older claim is a dead sender's (the lease is 2 min)
MAX_STEPS = 10_000
UNEDITABLE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})
Hook = Callable[[str, O.OutboxRow], None]  # test seam: ("claimed" | "sent", row)


@dataclass
class DrainReport:
    sent: int = 0
    found: int = 0  # attempted before and found in Slack: marked sent, not re-sent
    retried: int = 0
    given_up: int = 0
    rate_limited: int = 0
    waited_s: float = 0.0
    deferred: int = 0  # due or soon due, left for a later pass (time budget, long wait, lease)


@dataclass
class Dispatcher:
    db: Database
    notifier: Notifier
    clock: Clock
    sleep: Callable[[float], None]
    pace: timedelta = PACE
    max_wait: timedelta = MAX_WAIT
    budget: timedelta = DRAIN_BUDGET
    hook: Hook | None = None
    still_ours: Callable[[], bool] = lambda: True  # the lease, re-checked between sends
    _last_post: dict[str, datetime] = field(default_factory=dict)

    def drain(self) -> DrainReport:
        """Send every due row, for `budget` at most; wait (through `sleep`) for rows due within
        `max_wait`. What is left is for the next pass (`deferred` counts it)."""
        report = DrainReport()
        queues: dict[str, deque[O.OutboxRow]] = {}
        for row in O.unsettled(self.db):
            queues.setdefault(row.channel, deque()).append(row)
        end = self.clock.now() + self.budget
        for _ in range(MAX_STEPS):
            queues = {ch: q for ch, q in queues.items() if q}
            if not queues or not self.still_ours():
                break
            now = self.clock.now()
            if now >= end:
                break
            channel, ready = min(
                ((ch, self._ready_at(q[0])) for ch, q in queues.items()),
                key=lambda item: (item[1], queues[item[0]][0].id),
            )
            if ready > now:
                if ready - now > self.max_wait or ready > end:
                    break
                report.waited_s += (ready - now).total_seconds()
                self.sleep((ready - now).total_seconds())
                continue
            self._step(queues[channel], report)
        report.deferred = sum(map(len, queues.values()))
        return report

    def _ready_at(self, row: O.OutboxRow) -> datetime:
        last = self._last_post.get(row.channel)
        paced = last + self.pace if last is not None else row.next_attempt_at
        return max(row.next_attempt_at, paced)

    def _step(self, queue: deque[O.OutboxRow], report: DrainReport) -> None:
        row = queue[0]
        if row.status == "attempted" and self.clock.now() - row.next_attempt_at < STALE_CLAIM:
            queue.popleft()  # claimed moments ago: its sender may be alive (no lease here)
            return
        if row.thread_key is not None and self._parent_pending(row):
            # Its message is not in Slack yet: it waits for a later drain, after it.
            queue.popleft()
            return
        outcome = self._deliver(row)
        now = self.clock.now()
        if isinstance(outcome, SlackRateLimited):
            report.rate_limited += 1
            later = now + timedelta(seconds=max(outcome.retry_after, 0.0))
            O.retry_at(self.db, row.id, later, str(outcome), count=False)
            queue[0] = replace(row, next_attempt_at=later, status="pending")
            return
        queue.popleft()
        if isinstance(outcome, DeliveryError):
            self._failed(row, outcome, now, report)
            return
        if outcome == "found":
            report.found += 1
        elif outcome == "sent":
            report.sent += 1
        if outcome in ("found", "sent") and row.kind == "digest":
            metrics.DIGESTS.inc()

    def _parent_pending(self, row: O.OutboxRow) -> bool:
        assert row.thread_key is not None
        parent = O.get(self.db, row.thread_key)
        return parent is not None and parent.status in O.WAITING

    def _deliver(self, row: O.OutboxRow) -> str | DeliveryError:
        """ "sent", "found" (it was in Slack already), or the error of this attempt."""
        now = self.clock.now()
        try:
            if row.attempts > 0 or row.status == "attempted":
                ts = self._look_for(row)
                if ts is not None:
                    O.mark_sent(self.db, row.id, ts, now)
                    return "found"
            if not O.claim(self.db, row.id, now, again=row.status == "attempted"):
                return "taken"  # another dispatcher has it (only ever without the lease)
            if self.hook:
                self.hook("claimed", row)
            self._last_post[row.channel] = now
            ts = self._send(row)
            if self.hook:
                self.hook("sent", row)
        except DeliveryError as e:
            return e
        O.mark_sent(self.db, row.id, ts, self.clock.now())
        return "sent"

    def _send(self, row: O.OutboxRow) -> str:
        body, key = payload_of(row), row.key
        parent = O.message_for(self.db, row.thread_key) if row.thread_key else None
        if isinstance(body, Resolve):
            if parent is None:  # the alert never reached Slack: say it resolved, on its own
                return self._post(row.channel, body.update, key)
            try:
                self.notifier.update(parent[0], parent[1], body.update.text, body.update.blocks)
            except DeliveryError as e:
                if e.code not in UNEDITABLE:
                    raise
                return self._post(row.channel, body.update, key)
            return self._reply(parent, body.reply, key)
        if isinstance(body, ThreadReply) and parent is not None:
            return self._reply(parent, body.message, key)
        return self._post(row.channel, body.message, key)

    def _post(self, channel: str, message: Message, key: str) -> str:
        return self.notifier.post(channel, message.text, message.blocks, key=key)

    def _reply(self, parent: tuple[str, str], message: Message, key: str) -> str:
        return self.notifier.reply(parent[0], parent[1], message.text, message.blocks, key=key)

    def _look_for(self, row: O.OutboxRow) -> str | None:
        """Our earlier post of this row, if Slack has it. When history cannot be read at all
        (no history scope, not in the channel) the post goes ahead: at-least-once."""
        try:
            return self._search(row)
        except SlackRateLimited:
            raise
        except DeliveryError as e:
            if not e.code:  # no answer: try again later rather than risk a duplicate
                raise
            log.warning(
                "cannot look for an earlier post of outbox row %s: %s",
                row.id,
                e,
                extra={"outbox": row.id},
            )
            return None

    def _search(self, row: O.OutboxRow) -> str | None:
        parent = O.message_for(self.db, row.thread_key) if row.thread_key else None
        threaded = isinstance(payload_of(row), ThreadReply | Resolve) and parent is not None
        since = (row.first_attempt_at or row.created_at) - LOOKBACK
        if threaded:
            assert parent is not None
            found = self.notifier.recent_keys(parent[0], since, thread_ts=parent[1])
        else:
            found = self.notifier.recent_keys(row.channel, since)
        return found.get(row.key)

    def _failed(
        self, row: O.OutboxRow, error: DeliveryError, now: datetime, report: DrainReport
    ) -> None:
        first = row.first_attempt_at or now
        ids = {"outbox": row.id, "rule": row.subject}
        if now - first >= GIVE_UP_AFTER or not error.retryable:
            O.give_up(self.db, row.id, str(error))
            log.warning("gave up outbox row %s: %s", row.id, error, extra=ids)
            report.given_up += 1
            return
        # Wait about as long as it has been failing: 30 s, 30 s, 1 m, 2 m ... at most 1 h.
        backoff = min(MAX_BACKOFF, max(FIRST_BACKOFF, now - first))
        O.retry_at(self.db, row.id, now + backoff, str(error))
        log.info("outbox row %s failed (%s); retrying in %s", row.id, error, backoff, extra=ids)
        report.retried += 1
