"""`imgmetrics doctor`: every check of bot/cli/checks.py, one line each; and the same checks
as `serve` runs them at start, refusing with the same words.

`serve` refuses (exit 2) on what a person must fix; a service that merely did not answer
is said as a warning, and serving goes on (answers then say what failed).
"""

from __future__ import annotations

import sys

import click

from bot.cli.checks import SETTINGS_FIX, Check, run_checks
from bot.cli.common import fail
from bot.cli.logs import configure_logging
from bot.config import Settings
from bot.errors import Failure, UsageError
from revenium.clock import Clock, SystemClock


@click.command()
def doctor() -> None:
    """Check settings, Slack, Revenium, the database and the clock (exit 0 only if all pass)."""
    try:
        settings = Settings.from_env()
    except UsageError as e:
        click.echo(f"✘ settings: {e.message} → {SETTINGS_FIX}")
        sys.exit(1)
    configure_logging(settings)
    checks = run_checks(settings, SystemClock())
    for check in checks:
        click.echo(check.line())
    sys.exit(0 if all(c.ok for c in checks) else 1)


def refuse_unless_ready(settings: Settings, clock: Clock) -> list[Check]:
    """`doctor`'s checks at the start of `serve`; returns them when nothing must be fixed."""
    checks = run_checks(settings, clock)
    for check in checks:
        if not check.ok and check.transient:
            click.echo(f"⚠ {check.line()[2:]}", err=True)
    broken = [c for c in checks if not c.ok and not c.transient]
    if broken:
        lines = "\n".join(c.line() for c in broken)
        fail(Failure(f"imgmetrics will not serve until this is fixed:\n{lines}", 2, refusal=True))
    return checks
