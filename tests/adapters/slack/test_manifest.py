"""manifest.yaml and the code agree: the slash command's usage hint names exactly the registry's
commands, and the scopes, events and URLs are the ones the bot serves and needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.http_app import EVENTS_PATH, REDIRECT_PATH
from adapters.slack.commands import COMMAND
from adapters.slack.manifest import HINT_SEPARATOR, usage_hint
from bot.commands.registry import COMMANDS

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yaml"
SCOPES = [
    "commands", "chat:write", "chat:write.public", "files:write", "users:read",
    "channels:history", "groups:history", "channels:join",
]  # fmt: skip


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return loaded


def slash_command(manifest: dict[str, Any]) -> dict[str, Any]:
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    return dict(command)


def test_the_usage_hint_names_every_registry_command_and_nothing_else(manifest):
    hint = slash_command(manifest)["usage_hint"]
    named = [part.split()[0] for part in hint.split(HINT_SEPARATOR)]
    assert sorted(named) == sorted(COMMANDS)
    assert len(named) == len(set(named))
    assert hint == usage_hint()  # each usage exactly as `help` shows it
    assert len(hint) <= 1000


def test_the_slash_command_posts_to_the_events_route_unescaped(manifest):
    command = slash_command(manifest)
    assert command["url"].endswith(EVENTS_PATH)
    assert command["should_escape"] is False
    assert 0 < len(command["description"]) <= 100


def test_scopes_events_interactivity_and_home(manifest):
    assert manifest["oauth_config"]["scopes"]["bot"] == SCOPES
    assert [url.endswith(REDIRECT_PATH) for url in manifest["oauth_config"]["redirect_urls"]] == [
        True
    ]
    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    assert events["request_url"].endswith(EVENTS_PATH)
    assert sorted(events["bot_events"]) == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": events["request_url"],
    }
    assert settings["token_rotation_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_the_oauth_install_asks_for_the_manifest_scopes():
    from adapters.slack.oauth import BOT_SCOPES

    assert list(BOT_SCOPES) == SCOPES
