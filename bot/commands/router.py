"""One entry for every `/imgmetrics` text, whoever typed it: Slack, the console or `ask`.

parse → route → answer: query verbs are answered by bot/commands/queries.py, the verbs
that configure alerts by bot/commands/configure.py.
"""

from __future__ import annotations

from bot.commands.configure import run
from bot.commands.queries import answer
from bot.grammar.command import RAW_VERBS, Command, parse
from bot.reply import Context, Reply
from bot.runtime import Runtime


def handle(text: str, ctx: Context, rt: Runtime, *, offset: int = 0, early: bool = False) -> Reply:
    """Answer one command. Raises bot.errors.UserError for the user's mistakes.

    `offset` pages through `list` (the Next button). `early`: a reply whose slow part is
    still to come (`Reply.later`) may be returned, for Slack to show it at once."""
    reply = execute(parse(text, now=rt.clock.now(), tz=rt.settings.tz), ctx, rt, offset=offset)
    return reply if early else reply.complete()


def execute(cmd: Command, ctx: Context, rt: Runtime, *, offset: int = 0) -> Reply:
    if cmd.verb in RAW_VERBS:  # rule, budget, digest, silence, unsilence
        return run(cmd, ctx, rt)
    return answer(cmd, rt.source, rt.clock.now(), offset=offset)
