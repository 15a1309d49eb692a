"""Wiring: from Settings and a Clock to a Runtime with a live metrics source (its requests
counted in bot/metrics.py, paced by the rate bucket every process on the database shares),
the state database and the admin check; and the notifier a shell command posts through."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot import metrics
from bot.alerts.notifier import ConsoleNotifier, Notifier
from bot.config import Settings
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.slack.admins import admins_for
from bot.slack.clients import web_client
from bot.slack.notifier import SlackNotifier
from revenium.client import connect
from revenium.clock import Clock
from revenium.query import Window
from revenium.ratelimit import Bucket, shared_bucket
from revenium.source import ApiSource, Progress
from revenium.sync import Reader, SyncStats
from storage.db import MEMORY, ThreadDatabases
from storage.history import MirrorArchive
from storage.mirrored import MirroredSource, Sink
from storage.ratebucket import SharedBucket, bucket_path

# Someone is waiting for the answer: give up on an unreachable API within seconds, not minutes.
INTERACTIVE_RETRIES = {"max_attempts": 4, "backoff_cap": 2.0}


def build_runtime(settings: Settings, clock: Clock, *, progress: Progress | None = None) -> Runtime:
    """`progress` hears how a sync of the mirror advances (the console, `imgmetrics sync`)."""
    if not settings.revenium_api_key:
        raise ConfigError(
            "REVENIUM_API_KEY is not set (see README: Configuration), "
            "or run `make demo` for the sandbox."
        )
    if not settings.revenium_team_id:
        raise ConfigError("REVENIUM_TEAM_ID is not set: the hashed id of the team to read.")
    client = connect(
        settings.revenium_api_url,
        settings.revenium_api_key,
        settings.revenium_team_id,
        bucket=rate_bucket(settings),
        observer=metrics.ReveniumObserver(),
        **INTERACTIVE_RETRIES,
    )
    dbs = ThreadDatabases(settings.db_path)
    source = MirroredSource(
        dbs,
        settings.revenium_team_id,
        CountedReader(client),
        ApiSource(client),
        clock,
        freshness=timedelta(seconds=settings.freshness_s),
        progress=progress,
    )
    admins = admins_for(settings, clock)
    archive = MirrorArchive(source)
    return Runtime(settings, clock, source, dbs=dbs, admins=admins, archive=archive)


def notifier_for(settings: Settings) -> Notifier:
    """Slack when a bot token is set, else the terminal."""
    if settings.slack_bot_token:
        return SlackNotifier(web_client(settings, "alerts"))
    return ConsoleNotifier(sys.stdout)


def rate_bucket(settings: Settings) -> Bucket:
    """The bucket shared through the database's side file; in-process for an in-memory db."""
    if settings.db_path == MEMORY:
        return shared_bucket()
    return SharedBucket(bucket_path(settings.db_path))


class CountedReader(Reader):
    """revenium.sync.Reader whose reads are counted in bot/metrics.py."""

    def read(self, windows: Sequence[Window], sink: Sink, **how: Any) -> SyncStats:
        try:
            stats = super().read(windows, sink, **how)
        except BaseException:
            metrics.synced(0, ok=False)
            raise
        metrics.synced(stats.records, ok=True)
        return stats
