"""The application-command payload, and its registration with Discord as a deploy step.

`venice-bot discord sync` logs in over HTTP only (no gateway) and replaces the application's
commands, globally or in one server. `serve` never syncs: Discord limits command creation per day.
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import discord

from adapters.discord.api_base import use_api_url
from adapters.discord.bot import create_bot
from bot.logs import redact, register_secret
from bot.settings import Settings

EXIT_SYNCED, EXIT_FAILED = 0, 1
PORTAL = "https://discord.com/developers/applications"
INVITE_SCOPES = ("bot", "applications.commands")
# What the bot needs in a channel: post cards (the digest), with embeds and chart images, and
# read its recent messages to find a digest it may have posted before a crash (docs/digests.md).
INVITE_PERMISSIONS = discord.Permissions(
    send_messages=True, embed_links=True, attach_files=True, read_message_history=True
)


def invite_url(application_id: int) -> str:
    """The URL that adds the bot to a server, with its scopes and permissions."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES
    )


def commands_payload() -> list[dict[str, Any]]:
    """The application commands registered with Discord, as JSON-ready dicts."""
    tree = create_bot(None).tree
    return [command.to_dict(tree) for command in tree.get_commands()]


async def sync_commands(settings: Settings, guild_id: int | None) -> int:
    """Register the commands (globally, or in GUILD_ID); returns the CLI exit code."""
    if settings.discord_token is None:
        return _fail(
            "DISCORD_TOKEN is not set: copy the bot token from the Discord Developer Portal "
            f"({PORTAL}, your application > Bot) into DISCORD_TOKEN."
        )
    token = settings.discord_token.get_secret_value()
    register_secret(token)
    use_api_url(settings.discord_api_url)
    bot = create_bot(None)
    guild = discord.Object(id=guild_id) if guild_id is not None else None
    try:
        async with bot.client:
            await bot.client.login(token)
            if guild is not None:
                bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
    except discord.LoginFailure:
        return _fail(
            f"Discord refused DISCORD_TOKEN (401 Unauthorized): reset the bot token in {PORTAL} "
            "and set the new one."
        )
    except discord.HTTPException as error:
        detail = f"code {error.code}: {error.text}" if error.text else error.response.reason
        return _fail(f"Discord refused the commands (HTTP {error.status}, {detail}).")
    except (aiohttp.ClientError, OSError) as error:
        return _fail(
            f"could not reach Discord at {settings.discord_api_url} ({type(error).__name__}); "
            "check DISCORD_API_URL and the network."
        )
    names = ", ".join(sorted(command.name for command in synced))
    where = f"in server {guild_id} (active at once)" if guild is not None else "globally"
    print(f"Registered /{names} with {_subcommands(synced)} subcommands {where}.")
    if bot.client.application_id is not None:
        print(f"Invite the bot to a server: {invite_url(bot.client.application_id)}")
    return EXIT_SYNCED


def _subcommands(synced: list[discord.app_commands.AppCommand]) -> int:
    return sum(len(command.options) for command in synced)


def _fail(message: str) -> int:
    print(f"venice-bot: {redact(message)}", file=sys.stderr)
    return EXIT_FAILED
