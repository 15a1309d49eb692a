"""`imgmetrics console`: a local chat shell speaking the /imgmetrics language."""

from __future__ import annotations

import re
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.commands.router import handle
from bot.errors import Failure, attempt
from bot.render.terminal import blocks_to_text
from bot.reply import CONSOLE_USER, Context, Reply
from bot.runtime import Runtime

PROMPT = "/imgmetrics "
GREETING = "imgmetrics console — type a command (`help`, `summary last 7d by model`); Ctrl-D quits."


def show(reply: Reply, out: TextIO, files_dir: Path) -> None:
    out.write(blocks_to_text(reply.blocks) + "\n")
    for attachment in reply.files:
        path = files_dir / attachment.filename
        path.write_bytes(attachment.content)
        where = "your DMs" if attachment.to_dm else "the thread"
        out.write(f"[file for {where}: {attachment.title} → {path}]\n")


class SyncProgress:
    """Shows a long first sync: on a terminal every few thousand records, elsewhere once."""

    STEP = 5000

    def __init__(self, out: TextIO = sys.stderr) -> None:
        self.out = out
        self.shown = 0

    def __call__(self, done: int, expected: int) -> None:
        finished = done >= expected
        step = self.STEP if self.out.isatty() else expected  # a log gets the last line only
        if done == self.shown or (done - self.shown < step and not finished):
            return
        self.shown = done
        end = "\n" if done >= expected else ""
        self.out.write(f"\rsyncing the mirror: {done:,} of {max(done, expected):,} records{end}")
        self.out.flush()


# The console has no Slack to look channel names up in: `#finops` becomes a local channel
# (id `CFINOPS`), written as Slack's own `<#C…|name>` link would be; its alerts print here.
_BARE_CHANNEL = re.compile(r"(?<=\bin )#([a-z0-9][a-z0-9_-]{0,79})(?![\w|>])", re.IGNORECASE)


def local_channels(text: str) -> str:
    def link(m: re.Match[str]) -> str:
        if re.fullmatch(r"[CGD][A-Z0-9]{2,}", m[1]):
            return m[0]  # already a channel id
        return f"<#C{re.sub(r'[^A-Z0-9]', '', m[1].upper())}|{m[1]}>"

    return _BARE_CHANNEL.sub(link, text)


def run_console(rt: Runtime, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """Read commands until end of input; every answer or error is printed, never a traceback."""
    interactive = stdin.isatty()
    ctx = Context(user=CONSOLE_USER, channel="C_CONSOLE")
    files_dir = Path(tempfile.mkdtemp(prefix="imgmetrics-"))
    if interactive:
        out.write(GREETING + "\n")
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text.lower().startswith("/imgmetrics"):
            text = text[len("/imgmetrics") :].strip()
        if not text and not interactive:
            continue
        answer = attempt(partial(handle, local_channels(text), ctx, rt))
        if isinstance(answer, Failure):
            out.write(answer.shown + "\n")
        else:
            show(answer, out, files_dir)
        out.flush()
