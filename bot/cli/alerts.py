"""`imgmetrics tick` and `imgmetrics rules backtest`: the scheduler from the shell."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from bot.alerts.tick import PROCESS_ID, run_pass
from bot.cli.backtest import replay, report, report_json
from bot.cli.common import clock_from, failing_cleanly, load_settings
from bot.cli.wiring import build_runtime, notifier_for
from bot.errors import NotFound
from bot.grammar.spans import parse_span
from storage.alerts import get_rule
from storage.outbox import release_lease

MAX_SINCE_DAYS = 90


@click.command()
@click.option("--now", default=None, help="Run the pass at this time (ISO 8601 with offset).")
def tick(now: str | None) -> None:
    """One scheduler pass (due rules, budgets, digests, then the outbox), then exit."""
    clock, settings = clock_from(now), load_settings()
    with failing_cleanly():
        runtime = build_runtime(settings, clock)
        try:
            passed = run_pass(runtime, notifier_for(settings), clock.now())
            release_lease(runtime.db, PROCESS_ID)  # a `serve` started next need not wait
        finally:
            runtime.close()
    if not passed.leader:
        click.echo("Another imgmetrics process holds the scheduler lease: nothing done.")
        return
    d = passed.drain
    click.echo(
        f"Evaluated {passed.rules_run} rules ({passed.rules_failed} failed), "
        f"{passed.budgets_run} budgets; {passed.digests} digests; queued {passed.queued}; "
        f"sent {d.sent}, retrying {d.retried}, gave up {d.given_up}."
    )


@click.group()
def rules() -> None:
    """Alert rules from the shell."""


@rules.command()
@click.argument("name")
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 12h, 2w.")
@click.option("--now", default=None, help="End the backtest at this time (ISO 8601).")
@click.option("--json", "as_json", is_flag=True, help="Print the episodes as one JSON object.")
def backtest(name: str, since: str, now: str | None, as_json: bool) -> None:
    """When rule NAME would have fired and resolved, and the messages it would have sent."""
    clock, settings = clock_from(now), load_settings()
    try:
        span = parse_span(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from None
    if span > timedelta(days=MAX_SINCE_DAYS):
        raise click.BadParameter(
            f"a backtest covers at most {MAX_SINCE_DAYS} days", param_hint="--since"
        )
    with failing_cleanly(as_json):
        runtime = build_runtime(settings, clock)
        try:
            rule = get_rule(runtime.db, name)
            if rule is None:
                raise NotFound(f"no rule named `{name}` (see `imgmetrics ask rule list`)")
            end = clock.now()
            found = replay(rule, runtime.history, end - span, end)
        finally:
            runtime.close()
    if as_json:
        click.echo(json.dumps(report_json(rule, found, end - span, end)))
    else:
        click.echo(report(rule, found, end - span, end))
