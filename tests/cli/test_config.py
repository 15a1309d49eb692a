"""Settings from the environment: defaults, validation, and secrets that never show."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.errors import UsageError


def test_defaults_follow_the_contract() -> None:
    s = Settings.from_env({})
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.revenium_api_url == "https://api.revenium.ai/profitstream"
    assert (s.db_path, s.tz, s.freshness_s, s.admins) == ("./imgmetrics.db", "UTC", 60, frozenset())


def test_secrets_never_show_in_the_settings_repr() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-very-secret",
        "SLACK_SIGNING_SECRET": "sign-secret-123",
        "SLACK_APP_TOKEN": "xapp-secret",
        "REVENIUM_API_KEY": "rev-key-456",
        "IMGMETRICS_ADMINS": "U1, U2,,",
    }
    s = Settings.from_env(env)
    shown = repr(s) + str(s)
    for secret in ("xoxb-very-secret", "sign-secret-123", "xapp-secret", "rev-key-456"):
        assert secret not in shown
    assert s.revenium_api_key.reveal() == "rev-key-456"
    assert s.admins == frozenset({"U1", "U2"})


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"IMGMETRICS_TZ": "Mars/Olympus"}, "IMGMETRICS_TZ"),
        ({"IMGMETRICS_FRESHNESS": "soon"}, "IMGMETRICS_FRESHNESS"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        Settings.from_env(env)
