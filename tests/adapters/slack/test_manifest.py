"""The Slack app manifests and the code agree: the slash command's usage hint names exactly the
registry's commands, and the scopes, events and URLs are the ones the bot serves and needs.

Two manifests, one per mode, because token rotation is permanent once an app has it on:
manifest.yaml (one workspace, SLACK_BOT_TOKEN: rotation off) and manifest.multi-workspace.yaml
("Add to Slack", SLACK_CLIENT_ID: rotation on, the OAuth redirect). Everything else is the same
in both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from adapters.http_app import EVENTS_PATH, REDIRECT_PATH
from adapters.slack.commands import COMMAND
from adapters.slack.manifest import HINT_SEPARATOR, usage_hint
from bot.registry import COMMANDS

ROOT = Path(__file__).resolve().parents[3]
SINGLE_WORKSPACE = ROOT / "manifest.yaml"
MULTI_WORKSPACE = ROOT / "manifest.multi-workspace.yaml"
MANIFESTS = [SINGLE_WORKSPACE, MULTI_WORKSPACE]
SCOPES = [
    "commands", "chat:write", "chat:write.public", "files:write", "users:read",
    "channels:history", "groups:history", "channels:join",
]  # fmt: skip


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(params=MANIFESTS, ids=lambda path: path.name)
def manifest(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


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
    settings = manifest["settings"]
    events = settings["event_subscriptions"]
    assert events["request_url"].endswith(EVENTS_PATH)
    assert sorted(events["bot_events"]) == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    assert settings["interactivity"] == {
        "is_enabled": True,
        "request_url": events["request_url"],
    }
    assert settings["socket_mode_enabled"] is False
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"]
    assert 175 <= len(manifest["display_information"]["long_description"]) <= 4000


def test_the_single_workspace_manifest_has_token_rotation_off():
    single = load(SINGLE_WORKSPACE)
    assert single["settings"]["token_rotation_enabled"] is False
    assert "redirect_urls" not in single["oauth_config"]  # installed from the app's own page


def test_the_multi_workspace_manifest_rotates_tokens_and_names_the_redirect():
    multi = load(MULTI_WORKSPACE)
    assert multi["settings"]["token_rotation_enabled"] is True
    redirects = multi["oauth_config"]["redirect_urls"]
    assert [url.endswith(REDIRECT_PATH) for url in redirects] == [True]


def test_the_two_manifests_differ_only_in_rotation_and_the_redirect():
    single, multi = load(SINGLE_WORKSPACE), load(MULTI_WORKSPACE)
    for manifest in (single, multi):
        del manifest["settings"]["token_rotation_enabled"]
        manifest["oauth_config"].pop("redirect_urls", None)
    assert single == multi


def test_the_oauth_install_asks_for_the_manifest_scopes():
    from adapters.slack.oauth import BOT_SCOPES

    assert list(BOT_SCOPES) == SCOPES
