"""Settings: read from the environment (and `.env`) once, at start-up, then passed down.

Nothing below the entry point reads os.environ. Secrets are kept in
revenium.secret.Secret so that printing the settings never shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.errors import UsageError
from revenium.secret import Secret

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_REVENIUM_API_URL = "https://api.revenium.ai/profitstream"
DEFAULT_DB = "./imgmetrics.db"
DEFAULT_FRESHNESS_S = 60
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    slack_bot_token: Secret = field(default_factory=lambda: Secret(""))
    slack_signing_secret: Secret = field(default_factory=lambda: Secret(""))
    slack_app_token: Secret = field(default_factory=lambda: Secret(""))
    slack_api_url: str = DEFAULT_SLACK_API_URL
    revenium_api_url: str = DEFAULT_REVENIUM_API_URL
    revenium_api_key: Secret = field(default_factory=lambda: Secret(""))
    revenium_team_id: str = ""
    db_path: str = DEFAULT_DB
    admins: frozenset[str] = frozenset()
    tz: str = "UTC"
    freshness_s: int = DEFAULT_FRESHNESS_S
    log_level: str = "INFO"
    log_format: str = "text"  # or "json": one object per line

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        """Settings from `env` (default: the process environment plus `./.env`)."""
        if env is None:
            env = _process_env(dotenv)
        tz = env.get("IMGMETRICS_TZ", "UTC") or "UTC"
        _check_zone(tz)
        freshness = env.get("IMGMETRICS_FRESHNESS", str(DEFAULT_FRESHNESS_S))
        if not freshness.isdigit():
            raise UsageError(
                f"IMGMETRICS_FRESHNESS must be a whole number of seconds, not `{freshness}`"
            )
        admins = frozenset(
            a.strip() for a in env.get("IMGMETRICS_ADMINS", "").split(",") if a.strip()
        )
        return cls(
            slack_bot_token=Secret(env.get("SLACK_BOT_TOKEN", "")),
            slack_signing_secret=Secret(env.get("SLACK_SIGNING_SECRET", "")),
            slack_app_token=Secret(env.get("SLACK_APP_TOKEN", "")),
            slack_api_url=env.get("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL,
            revenium_api_url=(env.get("REVENIUM_API_URL") or DEFAULT_REVENIUM_API_URL).rstrip("/"),
            revenium_api_key=Secret(env.get("REVENIUM_API_KEY", "")),
            revenium_team_id=env.get("REVENIUM_TEAM_ID", ""),
            db_path=env.get("IMGMETRICS_DB", DEFAULT_DB) or DEFAULT_DB,
            admins=admins,
            tz=tz,
            freshness_s=int(freshness),
            log_level=_log_level(env.get("IMGMETRICS_LOG_LEVEL", "INFO")),
            log_format=_log_format(env.get("IMGMETRICS_LOG_FORMAT", "text")),
        )


def _process_env(dotenv: bool) -> dict[str, str]:
    merged: dict[str, str] = {}
    if dotenv:
        merged.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    merged.update(os.environ)  # the real environment wins over .env
    return merged


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"IMGMETRICS_TZ `{name}` is not an IANA time zone (e.g. Europe/Berlin)"
        ) from None


def _log_level(name: str) -> str:
    level = (name or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise UsageError(f"IMGMETRICS_LOG_LEVEL `{name}`: use DEBUG, INFO, WARNING or ERROR")
    return level


def _log_format(name: str) -> str:
    form = (name or "text").lower()
    if form not in LOG_FORMATS:
        raise UsageError(f"IMGMETRICS_LOG_FORMAT `{name}`: use text or json")
    return form
