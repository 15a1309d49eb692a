"""A reply with a slow part (a rule card's backtest) is one message: the whole answer once
when it is ready in time, else the reply at once and the same message replaced by the
whole. Ordering is forced with events, never by sleeping."""

from __future__ import annotations

import threading
from typing import Any

from bot.errors import Failure, UsageError
from bot.reply import Reply
from bot.slack.early import show_when_ready

WHOLE = Reply("whole", [])


class Shown(list[tuple[str, bool]]):
    """What was shown, in order: (text, replacing the message shown before)."""

    def __init__(self) -> None:
        super().__init__()
        self.first = threading.Event()

    def __call__(self, reply: Reply | Failure, again: bool) -> None:
        self.append((reply.text if isinstance(reply, Reply) else reply.shown, again))
        self.first.set()


def with_later(later: Any) -> Reply:
    return Reply("card, backtest running", [], later=later)


def test_a_whole_answer_ready_in_time_is_shown_once() -> None:
    shown = Shown()
    show_when_ready(with_later(lambda: WHOLE), shown, within=60)
    assert shown == [("whole", False)]


def test_a_slow_answer_shows_the_reply_first_then_replaces_it() -> None:
    shown = Shown()

    def slow() -> Reply:
        assert shown.first.wait(timeout=10), "the reply was not shown first"
        return WHOLE

    show_when_ready(with_later(slow), shown, within=0)
    assert shown == [("card, backtest running", False), ("whole", True)]


def test_a_failing_slow_part_is_explained_where_the_reply_was() -> None:
    shown = Shown()

    def failing() -> Reply:
        assert shown.first.wait(timeout=10)
        raise UsageError("no such span")

    show_when_ready(with_later(failing), shown, within=0)
    assert shown == [("card, backtest running", False), ("⚠ no such span", True)]


def test_replies_without_a_slow_part_and_failures_are_shown_as_they_are() -> None:
    shown = Shown()
    show_when_ready(WHOLE, shown, within=0)
    show_when_ready(Failure("refused", 2), shown, within=0)
    assert shown == [("whole", False), ("⚠ refused", False)]
