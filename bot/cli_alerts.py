"""`imgmetrics tick` and `imgmetrics rules backtest`: the scheduler from the shell."""

from __future__ import annotations

import sqlite3
import sys
from typing import TYPE_CHECKING

import click

from bot.cli_common import clock_from, fail, load_settings
from bot.config import Settings
from bot.errors import UserError
from revenium.errors import ReveniumError

if TYPE_CHECKING:
    from bot.commands import Runtime
    from bot.notify import Notifier


def notifier_for(settings: Settings) -> Notifier:
    """Slack when a bot token is set, else the terminal."""
    from bot.notify import ConsoleNotifier, SlackNotifier, notify_client

    if settings.slack_bot_token:
        return SlackNotifier(notify_client(settings))
    return ConsoleNotifier(sys.stdout)


@click.command()
@click.option("--now", default=None, help="Run the pass at this time (ISO 8601 with offset).")
def tick(now: str | None) -> None:
    """One scheduler pass (due rules, budgets, digests, then the outbox), then exit."""
    from bot.runtime import build_runtime
    from bot.scheduler import PROCESS_ID, run_pass
    from storage.outbox import release_lease

    clock, settings = clock_from(now), load_settings()
    try:
        runtime = build_runtime(settings, clock)
        try:
            report = run_pass(runtime, notifier_for(settings), clock.now())
            release_lease(runtime.db, PROCESS_ID)  # a `serve` started next need not wait
        finally:
            _close(runtime)
    except UserError as e:
        fail(e.message, 2)
    except sqlite3.Error as e:
        fail(f"storage failed: {e}", 1)
    if not report.leader:
        click.echo("Another imgmetrics process holds the scheduler lease: nothing done.")
        return
    d = report.drain
    click.echo(
        f"Evaluated {report.rules_run} rules ({report.rules_failed} failed), "
        f"{report.budgets_run} budgets; {report.digests} digests; queued {report.queued}; "
        f"sent {d.sent}, retrying {d.retried}, gave up {d.given_up}."
    )


@click.group()
def rules() -> None:
    """Alert rules from the shell."""


@rules.command()
@click.argument("name")
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 12h, 2w.")
@click.option("--now", default=None, help="End the backtest at this time (ISO 8601).")
def backtest(name: str, since: str, now: str | None) -> None:
    """When rule NAME would have fired and resolved, and the messages it would have sent."""
    from bot.backtest import parse_since, replay, report
    from bot.runtime import build_runtime
    from storage.alerts import get_rule

    clock, settings = clock_from(now), load_settings()
    try:
        span = parse_since(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None
    try:
        runtime = build_runtime(settings, clock)
        try:
            rule = get_rule(runtime.db, name)
            end = clock.now()
            found = None if rule is None else replay(rule, runtime.source, end - span, end)
        finally:
            _close(runtime)
    except UserError as e:
        fail(e.message, 2)
    except ReveniumError as e:
        fail(str(e), 1)
    except sqlite3.Error as e:
        fail(f"storage failed: {e}", 1)
    if rule is None or found is None:
        fail(f"no rule named `{name}` (see `imgmetrics ask rule list`)", 2)
    click.echo(report(rule, found, end - span, end))


def _close(runtime: Runtime) -> None:
    runtime.source.close()
    close = getattr(runtime.dbs, "close", None)
    if close is not None:
        close()
