"""The Discord client: discord.py with the /venice command tree, the handler of its buttons (Share,
Chart, a card's actions), few intents."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord
from discord import app_commands

from adapters.discord.actions import handle_action
from adapters.discord.checks import failure_card, on_tree_error
from adapters.discord.commands import venice_group
from adapters.discord.interactions import Interaction, send_private
from adapters.discord.share import handle_share
from bot.core import Answer
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# The bot never joins voice: discord.py's warnings about missing voice libraries are noise.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


def bot_intents() -> discord.Intents:
    """Slash commands arrive as interactions whatever the intents: only the guild list is kept."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


@dataclass(frozen=True, slots=True)
class DiscordBot:
    """The client and its command tree (the tree holds the one `/venice` group)."""

    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]


def create_bot(runtime: Runtime | None, *, sharded: bool = False) -> DiscordBot:
    """A client ready to log in. Without RUNTIME it only describes and registers the commands.

    SHARDED gives an AutoShardedClient, which asks Discord how many gateway shards to run.
    """
    client_class = discord.AutoShardedClient if sharded else discord.Client
    # Every message defaults to no pings: Venice names may hold `@everyone` or `<@id>`.
    client = client_class(intents=bot_intents(), allowed_mentions=discord.AllowedMentions.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    tree.add_command(venice_group(runtime))
    tree.error(on_tree_error)
    if runtime is not None:
        _listen_for_buttons(client, runtime)
    return DiscordBot(client, tree)


def _listen_for_buttons(client: discord.Client, runtime: Runtime) -> None:
    """Answer the bot's buttons by their custom id: after a restart too (no View callbacks)."""

    async def on_interaction(interaction: Interaction) -> None:
        try:
            if not await handle_share(interaction, runtime):
                await handle_action(interaction, runtime)
        except Exception as error:  # one click failing must not be silent nor crash the client
            log.warning("discord button failed: %s", type(error).__name__, exc_info=error)
            answer = Answer(failure_card(type(error).__name__), "failed")
            try:
                await send_private(interaction, answer, "")  # no command: no Share
            except discord.HTTPException:
                log.info("discord button: could not tell the clicker either (interaction gone)")

    client.event(on_interaction)
