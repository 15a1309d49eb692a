"""Serving Slack: the Bolt app built and checked (its start asks auth.test), then HTTP
mode under uvicorn or Socket Mode, until the process is told to stop.

A token Slack refuses is a ConfigError (exit 2) and an unreachable Slack a DeliveryError
(exit 1): never a traceback.
"""

from __future__ import annotations

import logging

import click
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.clients import web_client
from bot.slack.http import asgi_app
from bot.slack.workers import Workers

log = logging.getLogger(__name__)


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


def serve_http(app: App, host: str, port: int) -> None:
    import uvicorn  # start-up cost: only `serve` needs it

    click.echo(f"imgmetrics listening on http://{host}:{port}/slack/events", err=True)
    uvicorn.run(asgi_app(app), host=host, port=port, log_level="warning", access_log=False)


def serve_socket(app: App, settings: Settings) -> None:
    """Serve over Socket Mode until killed; a token Slack refuses is a ConfigError."""
    handler = SocketModeHandler(app, settings.slack_app_token.reveal())
    try:
        handler.start()  # type: ignore[no-untyped-call]
    except SlackApiError as e:  # only apps.connections.open, before anything is served
        error = e.response.get("error", "unknown_error")
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({error}): Socket Mode needs the app-level "
            "token (xapp-…) with the connections:write scope (see README: Slack set-up)."
        ) from None
