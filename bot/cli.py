"""The `imgmetrics` command line (click). Each command builds what it needs and calls one thing."""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.cli_common import clock_from, fail, load_settings
from bot.commands import Runtime
from bot.config import Settings
from bot.console import SyncProgress, run_console
from bot.errors import UserError
from bot.reply import Context
from revenium.clock import SystemClock
from revenium.errors import ReveniumError
from revenium.secret import Secret

F = TypeVar("F", bound=Callable[..., Any])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """imgmetrics: ask, alert and digest on AI image spend, from Slack or this shell."""


@main.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: text, blocks, data.")
@click.option("--user", default="U_CLI", show_default=True, help="Slack user id to act as.")
@click.option("--channel", default="C_CLI", show_default=True, help="Slack channel id to act in.")
@click.option("--now", default=None, help="Fake the clock (ISO 8601 with offset).")
def ask(text: tuple[str, ...], as_json: bool, user: str, channel: str, now: str | None) -> None:
    """Answer one /imgmetrics command and exit (0 answer, 2 usage/refusal, 1 API/storage)."""
    from bot.commands import execute
    from bot.parse import parse
    from bot.runtime import build_runtime

    clock = clock_from(now)
    settings = load_settings()
    ctx = Context(user=user, channel=channel)
    try:
        # parse first: a usage error must cost no API request, and needs no key
        cmd = parse(" ".join(text), now=clock.now(), tz=settings.tz)
        runtime = build_runtime(settings, clock)
        try:
            reply = execute(cmd, ctx, runtime)
        finally:
            runtime.source.close()
    except UserError as e:
        fail(e.message, 2, as_json)
    except ReveniumError as e:
        fail(str(e), 1, as_json)
    except sqlite3.Error as e:
        fail(f"storage failed: {e}", 1, as_json)
    if as_json:
        click.echo(json.dumps({"text": reply.text, "blocks": reply.blocks, "data": reply.data},
                              default=str))  # fmt: skip
    else:
        from bot.terminal import blocks_to_text

        click.echo(blocks_to_text(reply.blocks))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True)
@click.option("--socket", is_flag=True, help="Socket Mode instead of HTTP (needs SLACK_APP_TOKEN).")
@click.option("--no-scheduler", is_flag=True, help="Do not run the rule scheduler in this process.")
def serve(host: str, port: int, socket: bool, no_scheduler: bool) -> None:
    """Answer Slack: HTTP mode at POST /slack/events (GET /healthz), or Socket Mode."""
    from bot.runtime import build_runtime
    from bot.slack import Workers

    settings = load_settings()
    required = {"SLACK_BOT_TOKEN": settings.slack_bot_token}
    if socket:
        required["SLACK_APP_TOKEN"] = settings.slack_app_token
    else:
        required["SLACK_SIGNING_SECRET"] = settings.slack_signing_secret
    missing = [name for name, value in required.items() if not value]
    if missing:
        fail(f"{', '.join(missing)} must be set to serve (see README: Slack set-up).", 2)
    try:
        runtime = build_runtime(settings, SystemClock())
    except UserError as e:
        fail(e.message, 2)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    workers = Workers()
    app = _app_or_exit(settings, runtime, workers)
    scheduler = None
    if not no_scheduler:
        from bot.background import SchedulerThread
        from bot.notify import SlackNotifier, notify_client

        scheduler = SchedulerThread(runtime, SlackNotifier(notify_client(settings))).start()
    try:
        if socket:
            _socket_mode(app, settings.slack_app_token)
        else:
            import uvicorn

            from bot.http import asgi_app

            click.echo(f"imgmetrics listening on http://{host}:{port}/slack/events", err=True)
            uvicorn.run(asgi_app(app), host=host, port=port, log_level="warning",
                        access_log=False)  # fmt: skip
    finally:
        if scheduler is not None:
            scheduler.stop()
        workers.shutdown()


def _app_or_exit(settings: Settings, runtime: Runtime, workers: Any) -> Any:
    """The Bolt app (its start checks the bot token with auth.test): refusals are exit 2,
    an unreachable Slack exit 1, never a traceback."""
    from slack_bolt.error import BoltError

    from bot.slack import build_app, web_client

    try:
        return build_app(settings, runtime, web_client(settings), workers)
    except BoltError:
        fail("Slack refused SLACK_BOT_TOKEN (auth.test failed): use the app's bot token "
             "(xoxb-…) from OAuth & Permissions.", 2)  # fmt: skip
    except OSError as e:  # urllib's URLError and connection errors
        fail(f"could not reach Slack at {settings.slack_api_url}: {type(e).__name__}", 1)


def _socket_mode(app: Any, app_token: Secret) -> None:
    """Serve over Socket Mode until killed; a token Slack refuses is a clear exit 2."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    handler = SocketModeHandler(app, app_token.reveal())
    try:
        handler.start()  # type: ignore[no-untyped-call]
    except SlackApiError as e:  # only apps.connections.open, before anything is served
        error = e.response.get("error", "unknown_error")
        fail(f"Slack refused SLACK_APP_TOKEN ({error}): Socket Mode needs the app-level "
             "token (xapp-…) with the connections:write scope (see README: Slack set-up).",
             2)  # fmt: skip


@main.command()
def console() -> None:
    """A local chat shell: each line is handled as an /imgmetrics command."""
    from bot.runtime import build_runtime

    settings = load_settings()
    try:
        runtime = build_runtime(settings, SystemClock(), progress=SyncProgress())
    except UserError as e:
        fail(e.message, 2)
    _console_with_scheduler(runtime)


def _console_with_scheduler(runtime: Runtime) -> None:
    """The console, with alerts and digests the scheduler posts printed in it."""
    from bot.background import SchedulerThread
    from bot.notify import ConsoleNotifier

    scheduler = SchedulerThread(runtime, ConsoleNotifier(sys.stdout)).start()
    try:
        run_console(runtime)
    finally:
        scheduler.stop()


@main.command()
@click.option("--since", default="30d", show_default=True,
              help="How far back to read: 30d, 12h, 2w (the mirror keeps 35 days).")  # fmt: skip
def sync(since: str) -> None:
    """Read recent records into the local mirror now, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from bot.backtest import parse_since
    from bot.runtime import build_runtime
    from storage.mirrored import HISTORY, MirroredSource

    try:
        span = parse_since(since)
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
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("records", total=None)

        def advance(done: int, expected: int) -> None:
            bar.update(task, completed=done, total=max(done, expected))

        try:
            runtime = build_runtime(settings, SystemClock(), progress=advance)
        except UserError as e:
            fail(e.message, 2)
        source = runtime.source
        assert isinstance(source, MirroredSource)
        try:
            source.sync_now(span)
        except ReveniumError as e:
            fail(str(e), 1)
        except sqlite3.Error as e:
            fail(f"storage failed: {e}", 1)
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
@click.option("--port", default=8090, show_default=True)
@click.option("--api-key", default=None, help="Key the sandbox accepts (default: printed).")
@click.option("--team", default=None, help="Team id the sandbox serves (default: printed).")
@_sandbox_options
def sandbox(host: str, port: int, api_key: str | None, team: str | None, seed: int, days: int,
            per_day: int) -> None:  # fmt: skip
    """A Revenium-compatible API on local synthetic data (no network, no key)."""
    from revenium.sandbox import DEFAULT_KEY, DEFAULT_TEAM
    from revenium.sandbox.server import run

    run(host=host, port=port, seed=seed, days=days, per_day=per_day,
        api_key=api_key or DEFAULT_KEY, team_id=team or DEFAULT_TEAM,
        end=SystemClock().now())  # fmt: skip


@main.command()
@_sandbox_options
def demo(seed: int, days: int, per_day: int) -> None:
    """The sandbox in-process and a console on it: try `summary last 7d by model`."""
    from bot.runtime import build_runtime
    from revenium.sandbox import DEFAULT_KEY, DEFAULT_TEAM
    from revenium.sandbox.core import Sandbox
    from revenium.sandbox.server import serve

    clock = SystemClock()
    click.echo(f"Generating {days} days × {per_day:,} records (seed {seed})…", err=True)
    box = Sandbox.seeded(seed=seed, days=days, per_day=per_day, end=clock.now(),
                         api_key=DEFAULT_KEY, team_id=DEFAULT_TEAM)  # fmt: skip
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


def _alert_commands() -> None:
    from bot.cli_alerts import rules, tick

    main.add_command(tick)
    main.add_command(rules)


_alert_commands()

if __name__ == "__main__":
    main()
