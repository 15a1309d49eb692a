"""Health over HTTP: `/healthz` (the process answers), `/readyz` (it can do its job: 503
otherwise, a dead-man's switch for an orchestrator) and `/metrics` (Prometheus text).

HTTP mode serves them beside /slack/events; Socket Mode on `--health-port`.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.runtime import Runtime


class Alive(Protocol):
    def alive(self) -> bool:
        """The scheduler completed a pass recently (bot/alerts/scheduler.py)."""
        ...


@dataclass
class Readiness:
    runtime: Runtime
    scheduler: Alive | None  # None: `--no-scheduler`, nothing to watch
    slack_ok: bool = True  # auth.test answered at start
    stopping: threading.Event = field(default_factory=threading.Event)

    def problems(self) -> list[str]:
        """Why this process is not ready; empty when it is."""
        found = []
        if self.stopping.is_set():
            found.append("stopping")
        try:
            self.runtime.db.execute("SELECT COUNT(*) FROM alert_lease").fetchone()
        except sqlite3.Error as e:
            found.append(f"database: {e}")
        if not self.slack_ok:
            found.append("Slack did not answer at start")
        if self.scheduler is not None and not self.scheduler.alive():
            found.append("scheduler: no pass completed in the last three intervals")
        return found


def health_routes(ready: Readiness) -> list[Route]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(request: Request) -> Response:
        problems = await run_in_threadpool(ready.problems)
        body = {"ok": not problems, "problems": problems}
        return JSONResponse(body, status_code=503 if problems else 200)

    async def scrape(request: Request) -> Response:
        return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", scrape, methods=["GET"]),
    ]
