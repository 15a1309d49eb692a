"""What every `imgmetrics` command shares: the faked clock, settings, and failing cleanly."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from bot.config import Settings
from bot.errors import UserError
from revenium.clock import Clock, FakeClock, SystemClock
from revenium.records import parse_time


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


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except UserError as e:
        fail(e.message, 2)


def fail(message: str, code: int, as_json: bool = False) -> NoReturn:
    if as_json:
        click.echo(json.dumps({"error": {"message": message}}))
    else:
        click.echo(message if message.startswith("⛔") else f"⚠ {message}", err=True)
    sys.exit(code)
