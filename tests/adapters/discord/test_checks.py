"""Manage Server checks, each on its own, and the tree's private answers to failures."""

from __future__ import annotations

import logging

import pytest
from discord import app_commands

from adapters.discord.checks import on_tree_error, permission_label
from adapters.discord.commands import venice_group
from bot.registry import COMMANDS
from tests.adapters.discord.standin import manager, member

ADMIN_COMMANDS = [name for name, spec in COMMANDS.items() if spec.access == "admin"]


def the_check(name: str) -> app_commands.commands.Check:
    command = venice_group().get_command(name)
    assert isinstance(command, app_commands.Command)
    (check,) = command.checks
    return check


def test_connect_disconnect_and_access_are_the_admin_commands():
    assert set(ADMIN_COMMANDS) == {"connect", "disconnect", "access"}


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
async def test_the_check_passes_with_manage_server(name: str):
    assert await discord_check(name, manager()) is True


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
async def test_the_check_fails_without_manage_server_naming_the_permission(name: str):
    with pytest.raises(app_commands.MissingPermissions) as refused:
        await discord_check(name, member())
    assert refused.value.missing_permissions == ["manage_guild"]


async def discord_check(name: str, interaction: object) -> bool:
    result = the_check(name)(interaction)  # type: ignore[arg-type]
    return bool(await result) if hasattr(result, "__await__") else bool(result)


@pytest.mark.parametrize("name", ADMIN_COMMANDS)
async def test_the_tree_answers_a_failed_check_privately_naming_manage_server(name: str):
    interaction = member(command_name=name)
    await on_tree_error(interaction, app_commands.MissingPermissions(["manage_guild"]))
    (reply,) = interaction.calls
    assert reply.method == "send_message"  # the first response: nothing was deferred
    assert reply.private
    assert reply.allowed_mentions() == {"parse": []}
    text = str(reply.embed.to_dict())
    assert "Manage Server" in text
    assert COMMANDS[name].admin_action in text  # and what it would have allowed
    assert reply.custom_ids() == []


async def test_a_crash_after_deferring_is_answered_privately_and_logged_without_detail(
    caplog: pytest.LogCaptureFixture,
):
    interaction = member(command_name="balance")
    await interaction.response.defer(ephemeral=True, thinking=True)
    crash = app_commands.CommandInvokeError(
        venice_group().get_command("balance"),  # type: ignore[arg-type]
        RuntimeError("database said: secret-detail"),
    )
    with caplog.at_level(logging.WARNING):
        await on_tree_error(interaction, crash)
    reply = interaction.last()
    assert (reply.method, reply.private) == ("followup.send", True)
    assert "secret-detail" not in interaction.everything_sent()
    assert "Traceback" not in interaction.everything_sent()
    assert "RuntimeError" in caplog.text


async def test_outside_a_server_the_tree_says_where_venice_works():
    interaction = member(guild_id=None, command_name="balance")
    await on_tree_error(interaction, app_commands.NoPrivateMessage())
    reply = interaction.last()
    assert reply.private
    assert "server" in str(reply.embed.to_dict())


def test_permissions_are_named_as_discord_shows_them():
    assert permission_label("manage_guild") == "Manage Server"
    assert permission_label("manage_webhooks") == "Manage Webhooks"
