"""The `imgmetrics` command line (click). Each command builds what it needs and calls one thing.

Errors a person can act on end a command with their message and exit code
(bot/cli/common.py:failing_cleanly); the alerting commands are bot/cli/alerts.py.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.alerts.notifier import ConsoleNotifier
from bot.alerts.scheduler import PASS_EVERY_S, SchedulerThread
from bot.cli.alerts import rules, tick
from bot.cli.common import clock_from, failing_cleanly, load_settings, slack_user
from bot.cli.console import SyncProgress, run_console
from bot.cli.doctor import doctor
from bot.cli.wiring import build_runtime
from bot.commands.router import execute
from bot.errors import ConfigError
from bot.grammar.command import parse
from bot.grammar.spans import parse_span
from bot.render.terminal import blocks_to_text
from bot.reply import CLI_USER, Context
from bot.runtime import Runtime
from revenium.clock import SystemClock
from revenium.sandbox import DEFAULT_KEY, DEFAULT_PORT, DEFAULT_TEAM
from revenium.secret import Secret
from storage.mirrored import HISTORY, MirroredSource

F = TypeVar("F", bound=Callable[..., Any])
GRACE_S = 10.0  # what a SIGTERM leaves answers and the scheduler pass to finish


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(  # the installed distribution's version, from its metadata
    package_name="imgmetrics", prog_name="imgmetrics", message="%(prog)s %(version)s"
)
def main() -> None:
    """imgmetrics: ask, alert and digest on AI image spend, from Slack or this shell."""


main.add_command(tick)
main.add_command(rules)
main.add_command(doctor)


@main.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: text, blocks, data.")
@click.option(
    "--user",
    default=None,
    callback=slack_user,
    help="Act as this Slack user (U…), checked as Slack's are: IMGMETRICS_ADMINS, else "
    "users.info. Without it: the shell operator.",
)
@click.option("--channel", default="C_CLI", show_default=True, help="Slack channel id to act in.")
@click.option("--now", default=None, help="Fake the clock (ISO 8601 with offset).")
def ask(
    text: tuple[str, ...], as_json: bool, user: str | None, channel: str, now: str | None
) -> None:
    """Answer one /imgmetrics command and exit (0 answer, 2 usage/refusal, 1 API/storage).

    Without --user it acts as the shell operator, who may change rules, budgets, digests
    and silences even when IMGMETRICS_ADMINS is set: whoever can run this on the host
    holds the database already. The audit log names them "the shell operator (ask)".
    """
    clock = clock_from(now)
    settings = load_settings()
    ctx = Context(user=user or CLI_USER, channel=channel)
    with failing_cleanly(as_json):
        # parse first: a usage error must cost no API request, and needs no key
        cmd = parse(" ".join(text), now=clock.now(), tz=settings.tz)
        runtime = build_runtime(settings, clock)
        try:
            reply = execute(cmd, ctx, runtime).complete()
        finally:
            runtime.source.close()
    if as_json:
        body = {"text": reply.text, "blocks": reply.blocks, "data": reply.data}
        click.echo(json.dumps(body, default=str))
    else:
        click.echo(blocks_to_text(reply.blocks))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True)
@click.option("--socket", is_flag=True, help="Socket Mode instead of HTTP (needs SLACK_APP_TOKEN).")
@click.option(
    "--health-port",
    type=int,
    default=None,
    help="Socket Mode: serve GET /healthz, /readyz and /metrics on this port.",
)
@click.option("--no-scheduler", is_flag=True, help="Do not run the rule scheduler in this process.")
@click.option(
    "--pass-every",
    type=click.FloatRange(min=0.1),
    default=PASS_EVERY_S,
    show_default=True,
    help="Seconds between scheduler passes (/readyz fails after three without one).",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=GRACE_S,
    show_default=True,
    help="Seconds a SIGTERM or SIGINT leaves answers and the scheduler pass to finish.",
)
def serve(
    host: str,
    port: int,
    socket: bool,
    health_port: int | None,
    no_scheduler: bool,
    pass_every: float,
    grace: float,
) -> None:
    """Answer Slack: HTTP mode at POST /slack/events (GET /healthz, /readyz, /metrics), or
    Socket Mode. Checks what `doctor` checks first; stops cleanly on SIGTERM and SIGINT."""
    # Bolt, uvicorn and the Slack clients load here: start-up cost every other command spares.
    from bot.cli.service import Mode, on_signals, serve_until_stopped

    stop = on_signals()
    settings = load_settings()
    with failing_cleanly():
        required = {"SLACK_BOT_TOKEN": settings.slack_bot_token}
        if socket:
            required["SLACK_APP_TOKEN"] = settings.slack_app_token
        else:
            required["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise ConfigError(
                f"{', '.join(missing)} must be set to serve (see README: Slack set-up)."
            )
        mode = Mode(socket, host, port, health_port, not no_scheduler, pass_every, grace)
        serve_until_stopped(settings, mode, stop)


@main.command()
def console() -> None:
    """A local chat shell: each line is handled as an /imgmetrics command.

    It acts as the shell operator, who may change rules even when IMGMETRICS_ADMINS is
    set (the audit log says so); `ask --user U…` acts as a Slack user instead.
    """
    settings = load_settings()
    with failing_cleanly():
        runtime = build_runtime(settings, SystemClock(), progress=SyncProgress())
    _console_with_scheduler(runtime)


def _console_with_scheduler(runtime: Runtime) -> None:
    """The console, with alerts and digests the scheduler posts printed in it."""
    scheduler = SchedulerThread(runtime, ConsoleNotifier(sys.stdout)).start()
    try:
        run_console(runtime)
    finally:
        scheduler.stop()


@main.command()
@click.option(
    "--since",
    default="30d",
    show_default=True,
    help="How far back to read: 30d, 12h, 2w (the mirror keeps 35 days).",
)
def sync(since: str) -> None:
    """Read recent records into the local mirror now, with a progress bar."""
    # start-up cost: rich's progress bars load for this command only
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    try:
        span = parse_span(since)
        if span > HISTORY:
            raise ValueError(since)
    except ValueError:
        raise click.BadParameter(
            f"`{since}`: give a span up to {HISTORY.days}d, e.g. 30d or 12h "
            "(the mirror keeps that much)",
            param_hint="--since",
        ) from None
    settings = load_settings()
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar, failing_cleanly():
        task = bar.add_task("records", total=None)

        def advance(done: int, expected: int) -> None:
            bar.update(task, completed=done, total=max(done, expected))

        runtime = build_runtime(settings, SystemClock(), progress=advance)
        source = runtime.source
        assert isinstance(source, MirroredSource)
        try:
            source.sync_now(span)
        finally:
            source.close()


SANDBOX_OPTIONS = [
    click.option("--seed", default=7, show_default=True, help="Seed of the synthetic data."),
    click.option("--days", default=30, show_default=True, help="Days of history."),
    click.option("--per-day", default=2000, show_default=True, help="Records per day."),
]


def _sandbox_options(f: F) -> F:
    for option in reversed(SANDBOX_OPTIONS):
        f = option(f)
    return f


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=DEFAULT_PORT, show_default=True)
@click.option("--api-key", default=None, help="Key the sandbox accepts (default: printed).")
@click.option("--team", default=None, help="Team id the sandbox serves (default: printed).")
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Hold each answer this long (± 20 %), like a real API far away.",
)
@_sandbox_options
def sandbox(
    host: str,
    port: int,
    api_key: str | None,
    team: str | None,
    latency_ms: float,
    seed: int,
    days: int,
    per_day: int,
) -> None:
    """A Revenium-compatible API on local synthetic data (no network, no key)."""
    from revenium.sandbox.server import run  # start-up cost: the sandbox loads on use

    load_settings()  # for its logging, as every command

    run(
        host=host,
        port=port,
        seed=seed,
        days=days,
        per_day=per_day,
        api_key=api_key or DEFAULT_KEY,
        team_id=team or DEFAULT_TEAM,
        end=SystemClock().now(),
        latency_ms=latency_ms,
    )


@main.command()
@_sandbox_options
def demo(seed: int, days: int, per_day: int) -> None:
    """The sandbox in-process and a console on it: try `summary last 7d by model`."""
    from revenium.sandbox.core import Sandbox  # start-up cost: the sandbox loads on use
    from revenium.sandbox.server import serve

    clock = SystemClock()
    click.echo(f"Generating {days} days × {per_day:,} records (seed {seed})…", err=True)
    box = Sandbox.seeded(
        seed=seed,
        days=days,
        per_day=per_day,
        end=clock.now(),
        api_key=DEFAULT_KEY,
        team_id=DEFAULT_TEAM,
    )
    scratch = tempfile.mkdtemp(prefix="imgmetrics-demo-")  # the sandbox is new: so is its mirror
    with serve(box) as server:
        settings = replace(
            load_settings(),
            revenium_api_url=server.url,
            revenium_team_id=DEFAULT_TEAM,
            revenium_api_key=Secret(DEFAULT_KEY),
            db_path=str(Path(scratch) / "demo.db"),
        )
        click.echo(f"Sandbox API at {server.url}", err=True)
        _console_with_scheduler(build_runtime(settings, clock, progress=SyncProgress()))
