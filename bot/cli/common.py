"""What every `imgmetrics` command shares: the faked clock, settings, a Slack user given on
the command line, and failing cleanly."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from bot.cli.logs import configure_logging
from bot.config import Settings
from bot.errors import Failure, explain
from revenium.clock import Clock, FakeClock, SystemClock
from revenium.records import parse_time

log = logging.getLogger("imgmetrics")
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")


def clock_from(now: str | None) -> Clock:
    if not now:
        return SystemClock()
    try:
        when = parse_time(now)
    except ValueError:
        raise click.BadParameter(
            f"`{now}` is not an ISO 8601 date-time", param_hint="--now"
        ) from None
    if when.tzinfo is None:
        raise click.BadParameter("give an offset, e.g. 2026-11-25T09:00:00Z", param_hint="--now")
    return FakeClock(when)


def slack_user(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--user`: a Slack user id (U… or W…), so that no flag can name the shell operator."""
    if value is not None and not SLACK_USER.fullmatch(value):
        raise click.BadParameter(f"`{value}` is not a Slack user id such as U0123ABCD")
    return value


def load_settings() -> Settings:
    """The settings, read once; logging is set up from them for the whole command."""
    with failing_cleanly():
        settings = Settings.from_env()
    configure_logging(settings)
    return settings


@contextmanager
def failing_cleanly(as_json: bool = False) -> Iterator[None]:
    """An error a person can act on ends the command with its message and exit code
    (bot.errors.explain); anything else is a bug and keeps its traceback."""
    try:
        yield
    except Exception as error:
        failure = explain(error)
        if failure is None:
            raise
        fail(failure, as_json)


def fail(failure: Failure, as_json: bool = False) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": {"message": failure.message}}))
    else:
        click.echo(failure.shown, err=True)
    sys.exit(failure.exit_code)
