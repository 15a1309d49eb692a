"""Serving Slack: the Bolt app built and checked (its start asks auth.test), then HTTP mode
under uvicorn or Socket Mode, each started in the background and closed when told.

Neither library may own the process's signals: uvicorn re-raises a signal after its own
shutdown and `SocketModeHandler.start()` blocks on an Event of its own. So uvicorn's
Server runs on a thread of its own (its signal capture does nothing off the main thread)
and Socket Mode is only `connect()`ed; bot/cli/service.py handles SIGTERM and SIGINT.
A token Slack refuses is a ConfigError (exit 2), an unreachable Slack a DeliveryError (exit 1).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

import click
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from starlette.types import ASGIApp

from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.clients import web_client
from bot.slack.workers import Workers

if TYPE_CHECKING:
    import uvicorn

log = logging.getLogger(__name__)
START_TIMEOUT_S = 30.0


def checked_app(settings: Settings, runtime: Runtime, workers: Workers) -> App:
    """The Bolt app; building it checks the bot token with auth.test."""
    try:
        return build_app(settings, runtime, web_client(settings, "answers"), workers)
    except BoltError:
        raise ConfigError(
            "Slack refused SLACK_BOT_TOKEN (auth.test failed): use the app's bot token "
            "(xoxb-…) from OAuth & Permissions."
        ) from None
    except OSError as e:  # urllib's URLError and connection errors
        raise DeliveryError(
            f"could not reach Slack at {settings.slack_api_url}: {type(e).__name__}"
        ) from None


class WebServer:
    """A uvicorn Server on its own thread; `close` stops taking connections and lets the
    requests in progress finish, for `grace_s` at most (uvicorn's graceful shutdown)."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, grace_s: float) -> None:
        import uvicorn  # start-up cost: only `serve` needs it

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # our logging (bot/cli/logs.py), not uvicorn's own handlers
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=max(1, round(grace_s)),
        )
        self.url = f"http://{host}:{port}"
        self.server: uvicorn.Server = uvicorn.Server(config)
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, name="imgmetrics-http", daemon=True)

    def start(self) -> WebServer:
        """Serve; returns once listening. Raises ConfigError if it could not listen."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started and not self.ended.wait(0.02):
            if time.monotonic() > deadline:
                break
        if not self.server.started:
            self.close(1.0)
            raise ConfigError(f"could not listen on {self.url} (see the log above)")
        return self

    def _run(self) -> None:
        try:
            self.server.run()
        finally:
            self.ended.set()

    def close(self, timeout: float) -> bool:
        """No new connections; True once the requests in progress were answered."""
        self.server.should_exit = True
        self._thread.join(timeout)
        return not self._thread.is_alive()


def serve_http(app: App, asgi: ASGIApp, host: str, port: int, *, grace_s: float) -> WebServer:
    server = WebServer(asgi, host, port, grace_s=grace_s).start()
    click.echo(f"imgmetrics listening on {server.url}/slack/events", err=True)
    return server


class SocketMode:
    """Slack's WebSocket, connected in the background (SocketModeHandler.connect)."""

    def __init__(self, app: App, settings: Settings) -> None:
        self.handler = SocketModeHandler(app, settings.slack_app_token.reveal())
        try:
            self.handler.connect()  # type: ignore[no-untyped-call]
        except SlackApiError as e:  # only apps.connections.open, before anything is served
            error = e.response.get("error", "unknown_error")
            raise ConfigError(
                f"Slack refused SLACK_APP_TOKEN ({error}): Socket Mode needs the app-level "
                "token (xapp-…) with the connections:write scope (see README: Slack set-up)."
            ) from None
        click.echo("imgmetrics connected to Slack over Socket Mode", err=True)

    def close(self, timeout: float) -> bool:
        """No new envelopes; acks in progress are sent first (the client's own pool)."""
        self.handler.close()  # type: ignore[no-untyped-call]
        return True
