"""The checks of `imgmetrics doctor`, which `serve` runs at start too: one `Check` each,
✔ or ✘, with the fix.

Costs: one auth.test and one conversations.history per channel something posts to; at
most two Revenium requests (users/me, then one record of the team), never retried.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import Settings
from bot.slack.clients import web_client
from revenium.client import connect
from revenium.clock import Clock
from revenium.errors import BadKey, BadTeamId, RecordNotFound, ReveniumError, TeamDenied
from revenium.observe import Exchange, Unobserved, http_date
from revenium.query import Query
from storage import alerts as A
from storage import budgets as BG
from storage import digests as D
from storage.db import open_db
from storage.txn import write_txn

# What manifest.yml asks for (tests/test_manifest.py holds the two equal).
BOT_SCOPES = frozenset(
    {"commands", "chat:write", "files:write", "users:read", "channels:history"}
    | {"groups:history", "im:write"}
)
MAX_SKEW = timedelta(seconds=30)
SETTINGS_FIX = "see README: Configuration"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    transient: bool = False  # a service did not answer: not a misconfiguration

    def line(self) -> str:
        text = f"{'✔' if self.ok else '✘'} {self.name}: {self.detail}"
        return text if self.ok or not self.fix else f"{text} → {self.fix}"


def failed(name: str, detail: str, fix: str, *, transient: bool = False) -> Check:
    return Check(name, False, detail, fix, transient)


def run_checks(settings: Settings, clock: Clock) -> list[Check]:
    """Every check, in the order a person fixes things."""
    checks = [settings_check(settings)]
    db_check, channels = database_check(settings)
    checks.append(db_check)
    dates: dict[str, datetime] = {}
    if settings.slack_bot_token:
        checks.extend(slack_checks(settings, channels, dates))
    if settings.revenium_api_key and settings.revenium_team_id:
        checks.extend(revenium_checks(settings, dates))
    checks.append(clock_check(clock.now(), dates))
    return checks


def settings_check(settings: Settings) -> Check:
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("REVENIUM_API_KEY", settings.revenium_api_key),
            ("REVENIUM_TEAM_ID", settings.revenium_team_id),
        )
        if not value
    ]
    if not (settings.slack_signing_secret or settings.slack_app_token):
        missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
    if missing:
        return failed("settings", f"{', '.join(missing)} not set", f"set them ({SETTINGS_FIX})")
    modes = [("HTTP", settings.slack_signing_secret), ("Socket Mode", settings.slack_app_token)]
    ready = " and ".join(mode for mode, secret in modes if secret)
    return Check("settings", True, f"parsed; ready for {ready}")


def database_check(settings: Settings) -> tuple[Check, dict[str, list[str]]]:
    """Created and migrated when missing, as on a fresh install; a write is tried and undone.
    Also: which channels rules, budgets and digests post to (channel -> what posts there)."""
    path = settings.db_path
    fresh = not Path(path).exists()
    try:
        db = open_db(path)
        try:
            _try_a_write(db)
            channels = _posting_channels(db)
        finally:
            db.close()
    except (sqlite3.Error, OSError) as e:
        fix = "point IMGMETRICS_DB at a writable file whose directory exists"
        return failed("database", f"{path} is not usable: {e}", fix), {}
    return Check(
        "database", True, f"{path} {'created and ' if fresh else ''}migrated, writable"
    ), channels


class _Undo(Exception):
    pass


def _try_a_write(db: Any) -> None:
    try:
        with write_txn(db):
            db.execute("INSERT OR REPLACE INTO alert_meta (key, value) VALUES ('doctor', '1')")
            raise _Undo
    except _Undo:
        pass


def _posting_channels(db: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    things = [
        *((r.channel, f"rule {r.name}") for r in A.list_rules(db)),
        *((b.channel, f"budget {b.name}") for b in BG.list_budgets(db)),
        *((d.channel, "digest") for d in D.list_digests(db)),
    ]
    for channel, what in things:
        if channel:
            found.setdefault(channel, []).append(what)
    return found


# -- Slack -------------------------------------------------------------------------------


def slack_checks(
    settings: Settings, channels: Mapping[str, list[str]], dates: dict[str, datetime]
) -> list[Check]:
    client = web_client(settings, "lookup")
    try:
        answer = client.auth_test()
    except SlackApiError as e:
        error = e.response.get("error", "unknown_error")
        fix = "use the app's bot token (xoxb-…) from OAuth & Permissions"
        return [failed("Slack", f"Slack refused SLACK_BOT_TOKEN ({error})", fix)]
    except (SlackClientError, OSError) as e:
        detail = f"could not reach Slack at {settings.slack_api_url}: {type(e).__name__}"
        return [failed("Slack", detail, "check SLACK_API_URL and the network", transient=True)]
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    if (date := http_date(headers.get("date"))) is not None:
        dates["Slack"] = date
    who = f"@{answer.get('user')} in {answer.get('team')}"
    granted = {s.strip() for s in headers.get("x-oauth-scopes", "").split(",") if s.strip()}
    return [
        Check("Slack", True, f"auth.test: {who}"),
        scopes_check(granted),
        membership_check(client, channels),
    ]


def scopes_check(granted: set[str]) -> Check:
    missing = sorted(BOT_SCOPES - granted)
    if missing:
        fix = "add them under OAuth & Permissions (manifest.yml lists them), then reinstall the app"
        return failed("Slack scopes", f"not granted: {', '.join(missing)}", fix)
    return Check("Slack scopes", True, f"all {len(BOT_SCOPES)} that manifest.yml asks for")


def membership_check(client: Any, channels: Mapping[str, list[str]]) -> Check:
    """The bot must be in each channel: to post there, and to read back its posts."""
    outside = []
    for channel, users in sorted(channels.items()):
        try:
            client.conversations_history(channel=channel, limit=1)
        except SlackApiError as e:
            outside.append(f"{channel} ({', '.join(users)}: {e.response.get('error')})")
        except (SlackClientError, OSError) as e:
            outside.append(f"{channel} ({type(e).__name__})")
    if outside:
        fix = "invite the bot there (/invite @imgmetrics) or point what posts there elsewhere"
        return failed("channels", f"cannot post in {'; '.join(outside)}", fix)
    if not channels:
        return Check("channels", True, "no rule, budget or digest posts to a channel yet")
    where = f"a member of all {len(channels)} that rules, budgets and digests post to"
    return Check("channels", True, where)


# -- Revenium ----------------------------------------------------------------------------


class _Dates(Unobserved):
    def __init__(self, dates: dict[str, datetime]) -> None:
        self.dates = dates

    def exchanged(self, exchange: Exchange) -> None:
        if exchange.date is not None:
            self.dates["Revenium"] = exchange.date


def revenium_checks(settings: Settings, dates: dict[str, datetime]) -> list[Check]:
    client = connect(
        settings.revenium_api_url,
        settings.revenium_api_key,
        settings.revenium_team_id,
        max_attempts=1,  # at most two requests, and never a retry: sustained 4xx block accounts
        timeout=10.0,
        observer=_Dates(dates),
    )
    with client:
        try:
            me: dict[str, Any] | None = client.me()
        except RecordNotFound:
            me = None  # no users/me here: the list request alone tells
        except BadKey as e:
            fix = "set REVENIUM_API_KEY to a key allowed to read metrics, not metering-only"
            return [failed("Revenium key", f"REVENIUM_API_KEY was refused ({e.status})", fix)]
        except ReveniumError as e:
            return [_unreachable("Revenium key", e)]
        key = Check("Revenium key", True, f"accepted{_user(me)}")
        try:
            client.page(Query(), 0, size=1)
        except (TeamDenied, BadTeamId) as e:
            return [key, _wrong_team(settings.revenium_team_id, e, me)]
        except ReveniumError as e:
            return [key, _unreachable("Revenium team", e)]
    return [key, Check("Revenium team", True, f"{settings.revenium_team_id} is readable")]


def _user(me: Mapping[str, Any] | None) -> str:
    who = (me or {}).get("email") or (me or {}).get("id")
    return f" (user {who})" if who else ""


def _unreachable(name: str, error: ReveniumError) -> Check:
    fix = "check REVENIUM_API_URL and the network, then try again"
    return failed(name, str(error), fix, transient=error.retryable)


def _wrong_team(team: str, error: ReveniumError, me: Mapping[str, Any] | None) -> Check:
    readable = _teams((me or {}).get("teams") or [])
    status = f"{error.status} {'Access Denied' if isinstance(error, TeamDenied) else 'bad id'}"
    detail = f"the key may not read team {team!r} ({status})"
    if readable:
        return failed(
            "Revenium team",
            f"{detail}; it can read {readable}",
            "set REVENIUM_TEAM_ID to one of them",
        )
    return failed(
        "Revenium team", detail, "set REVENIUM_TEAM_ID to the hashed id of a team of this key"
    )


def _teams(teams: Iterable[Any]) -> str:
    named = []
    for team in teams:
        if isinstance(team, dict) and team.get("id"):
            label = team.get("label") or team.get("name")
            named.append(f"{team['id']} ({label})" if label else str(team["id"]))
    return ", ".join(named)


# -- the clock ---------------------------------------------------------------------------


def clock_check(now: datetime, dates: Mapping[str, datetime]) -> Check:
    """Slack refuses requests signed 5 minutes off, and windows are read by this clock."""
    if not dates:
        return failed(
            "clock",
            "no service answered with its time",
            "fix the checks above first",
            transient=True,
        )
    off = {who: (now - date).total_seconds() for who, date in dates.items()}
    worst = max(off, key=lambda who: abs(off[who]))
    if abs(off[worst]) > MAX_SKEW.total_seconds():
        side = "ahead of" if off[worst] > 0 else "behind"
        fix = "sync this machine's clock (NTP, e.g. `timedatectl set-ntp true`)"
        return failed("clock", f"{abs(off[worst]):.0f} s {side} {worst}'s", fix)
    against = " and ".join(sorted(off))
    return Check("clock", True, f"within {MAX_SKEW.seconds} s of {against}")
