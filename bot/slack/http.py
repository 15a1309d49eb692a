"""HTTP mode: Slack's requests at POST /slack/events, and the health routes of
bot/slack/health.py beside them (Starlette, served by uvicorn in bot/slack/serve.py).

Bolt's own Starlette handler calls `app.dispatch` on the event loop, so requests
would be handled one at a time; here dispatch runs in a thread.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.slack.health import Readiness, health_routes


def asgi_app(app: App, ready: Readiness) -> Starlette:
    async def events(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return Starlette(
        routes=[Route("/slack/events", events, methods=["POST"]), *health_routes(ready)]
    )


def health_app(ready: Readiness) -> Starlette:
    """The health routes alone: Socket Mode's `--health-port`."""
    return Starlette(routes=health_routes(ready))
