"""A reply whose slow part is still being computed (`Reply.later`: a rule card's backtest):
one message, shown at once when the whole would keep the asker waiting, then replaced.

A slash command's answer is an ephemeral message through its response_url, which has
no thread to reply in; it can be replaced (`replace_original`). So when `later` is not
done within CARD_WAIT_S, the reply as it stands goes out first and the same message is
replaced by the whole answer; when it is done in time, the whole answer goes out once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.errors import Failure, attempt
from bot.reply import Reply

CARD_WAIT_S = 2.0  # what an asker waits for the whole answer before seeing part of it
Show = Callable[[Reply | Failure, bool], None]  # (answer, replacing the one shown)


def show_when_ready(
    reply: Reply | Failure, show: Show, *, within: float = CARD_WAIT_S
) -> Reply | Failure:
    """Show `reply`'s whole answer; if it takes over `within` s, show `reply` first.
    Returns the whole answer."""
    if isinstance(reply, Failure) or reply.later is None:
        show(reply, False)
        return reply
    later, lock, state = reply.later, threading.Lock(), {"shown": False, "done": False}

    def early() -> None:
        with lock:  # held while posting: the whole answer waits, and always comes second
            if not state["done"]:
                show(reply, False)
                state["shown"] = True

    timer = threading.Timer(within, early)
    timer.daemon = True
    timer.start()
    try:
        whole = attempt(later)
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
    show(whole, state["shown"])
    return whole
