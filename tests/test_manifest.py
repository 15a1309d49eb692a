"""manifest.yml is a valid Slack app manifest that grants exactly what the code uses.

Validated against Slack's own JSON schema (vendored under vendor/, MIT). BOT_SCOPES
is the reviewed list: other tests assert `FakeSlack.scopes_used() <= BOT_SCOPES`, and
FakeSlack refuses, as Slack would, any call needing a scope the manifest lacks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.fakes.slack import ALL_SCOPES, MANIFEST, FakeSlack, manifest_scopes

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "vendor" / "slack-manifest.schema.1.0.0.json"

BOT_SCOPES = frozenset(
    {
        "commands",  # the /imgmetrics slash command
        "chat:write",  # alerts, digests, resolves: chat.postMessage / chat.update
        "files:write",  # charts and CSV exports: files_upload_v2
        "users:read",  # admin check: users.info is_admin / is_owner
        "channels:history",  # exactly-once delivery lookup (DESIGN.md §4), public channels
        "groups:history",  # ... and private ones
        "im:write",  # conversations.open for the export DM
    }
)
EVENTS_URL_PATH = "/slack/events"  # CONTRACT.md §2: everything arrives there


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def test_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(manifest)]
    assert errors == []
    # The schema spells this one `regex`, which JSON Schema does not apply: check it here.
    colour = manifest["display_information"]["background_color"]
    assert re.fullmatch(r"#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?", colour)


def test_schema_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    """The validation above can fail: a typo'd key and a bad command are caught."""
    schema = json.loads(SCHEMA.read_text())
    broken = json.loads(json.dumps(manifest))
    broken["settings"]["socket_mode"] = False
    broken["features"]["slash_commands"][0]["command"] = "imgmetrics"
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) == 2


def test_slash_command_escapes_channels_and_users(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/imgmetrics"
    assert command["should_escape"] is True
    assert command["description"] and command["usage_hint"]


def test_every_request_url_is_the_one_events_endpoint(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert settings["interactivity"]["is_enabled"] is True
    assert all(u == f"https://example.invalid{EVENTS_URL_PATH}" for u in urls)


def test_home_tab_and_socket_mode_off(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_bot_scopes_are_exactly_the_reviewed_list(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == sorted(BOT_SCOPES)
    assert len(scopes["bot"]) == len(set(scopes["bot"]))
    assert "user" not in scopes  # the app acts only as its bot user
    assert "chat:write.public" not in BOT_SCOPES  # the bot must be invited to a channel


def test_every_scope_is_needed_by_some_method() -> None:
    """Least privilege: each scope but `commands` is one a faked Web API method needs."""
    assert BOT_SCOPES - {"commands"} <= ALL_SCOPES


def test_fake_slack_grants_the_manifest_scopes_by_default() -> None:
    assert manifest_scopes() == BOT_SCOPES
    with FakeSlack() as fake:
        assert fake.scopes == BOT_SCOPES
