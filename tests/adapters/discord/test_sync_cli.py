"""`venice-bot discord commands` and `venice-bot discord sync` as real processes, the second
against the fake Discord API (DISCORD_API_URL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from adapters.discord.registration import INVITE_PERMISSIONS, commands_payload, invite_url
from tests.adapters.discord.fake_discord import APPLICATION_ID, FakeDiscord
from tests.services import free_port

ROOT = Path(__file__).resolve().parents[3]


def venice_bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "LOG_"))}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def fake_env(fake: FakeDiscord, token: str | None = None) -> dict[str, str]:
    return {"DISCORD_TOKEN": token or fake.token, "DISCORD_API_URL": fake.base_url}


def printed_payload() -> object:
    result = venice_bot("discord", "commands")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_discord_commands_prints_the_payload():
    assert printed_payload() == commands_payload()


def test_sync_guild_registers_exactly_the_printed_payload_in_that_server(fake_discord: FakeDiscord):
    result = venice_bot("discord", "sync", "--guild", "123", env=fake_env(fake_discord))
    assert result.returncode == 0, result.stderr
    assert "server 123" in result.stdout
    assert invite_url(APPLICATION_ID) in result.stdout
    (put,) = fake_discord.recorded("PUT")
    assert put.path == f"/applications/{APPLICATION_ID}/guilds/123/commands"
    assert put.json == printed_payload()
    assert put.headers["Authorization"] == f"Bot {fake_discord.token}"
    # HTTP only: logged in, looked up the application, registered; no gateway.
    assert [(r.method, r.path) for r in fake_discord.requests] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", put.path),
    ]
    assert fake_discord.token not in result.stdout + result.stderr


def test_sync_without_guild_registers_globally(fake_discord: FakeDiscord):
    result = venice_bot("discord", "sync", env=fake_env(fake_discord))
    assert result.returncode == 0, result.stderr
    assert "globally" in result.stdout
    (put,) = fake_discord.recorded("PUT")
    assert put.path == f"/applications/{APPLICATION_ID}/commands"
    assert put.json == printed_payload()


def test_sync_without_a_token_says_so_in_one_line():
    result = venice_bot("discord", "sync", "--guild", "123", env={"DISCORD_TOKEN": ""})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_discord_refuses_is_named_but_never_shown(fake_discord: FakeDiscord):
    wrong = "MTEw" + "OTk5." + "Gwrong." + "x" * 27
    result = venice_bot("discord", "sync", env=fake_env(fake_discord, wrong))
    assert result.returncode == 1
    assert "Discord refused DISCORD_TOKEN" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert fake_discord.recorded("PUT") == []


def test_commands_discord_refuses_exit_1_with_discords_reason(fake_discord: FakeDiscord):
    path = f"/applications/{APPLICATION_ID}/commands"
    fake_discord.refuse[path] = (400, {"message": "Invalid Form Body", "code": 50035})
    result = venice_bot("discord", "sync", env=fake_env(fake_discord))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Discord refused the commands (HTTP 400" in result.stderr
    assert "Invalid Form Body" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_api_exits_1_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/api/v10"
    token = "MTEw" + "MDAw." + "Gabc." + "y" * 27
    result = venice_bot("discord", "sync", env={"DISCORD_TOKEN": token, "DISCORD_API_URL": url})
    assert result.returncode == 1
    assert "could not reach Discord" in result.stderr
    assert url in result.stderr
    assert "Traceback" not in result.stderr


def test_the_invite_asks_for_the_scopes_and_permissions_the_docs_name():
    url = invite_url(APPLICATION_ID)
    assert "scope=bot+applications.commands" in url
    # Send Messages, Embed Links, Attach Files, Read Message History
    assert INVITE_PERMISSIONS.value == 2048 + 16384 + 32768 + 65536
    assert f"permissions={INVITE_PERMISSIONS.value}" in url
    docs = (ROOT / "docs" / "discord.md").read_text()
    assert f"permissions={INVITE_PERMISSIONS.value}" in docs
    assert "scope=bot+applications.commands" in docs
