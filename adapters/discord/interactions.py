"""What every /venice handler needs from an interaction: the workspace, the caller, a reply."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord.messages import CUSTOM_ID_MAX, reply_kwargs
from bot.command_spec import Caller
from bot.core import Answer

Interaction = discord.Interaction[discord.Client]
# What `edit_original_response` takes of a reply (it has no `ephemeral`: the message keeps it).
_EDITABLE = ("content", "embed", "embeds", "attachments", "allowed_mentions")


def workspace_of(interaction: Interaction) -> str:
    """`discord:<guild id>`; NoPrivateMessage outside a server (answered by the tree's on_error)."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return f"discord:{interaction.guild_id}"


def caller_of(interaction: Interaction) -> Caller:
    """The member who acted: an admin for the core when they have Manage Server here."""
    user = interaction.user
    return Caller(str(user.id), user.display_name, is_admin=interaction.permissions.manage_guild)


def channel_of(interaction: Interaction) -> str | None:
    """The channel the command was typed in (where `digest on` schedules the digest)."""
    return str(interaction.channel_id) if interaction.channel_id is not None else None


def sendable(kwargs: dict[str, Any]) -> dict[str, Any]:
    """KWARGS without None values: discord.py means "absent" by its own sentinel, not None."""
    return {name: value for name, value in kwargs.items() if value is not None}


def editable(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The parts of a reply that an edit of the original response can carry."""
    return {name: value for name, value in sendable(kwargs).items() if name in _EDITABLE}


async def send_private(interaction: Interaction, answer: Answer, command_text: str) -> None:
    """Answer privately: as the first response, or as a follow-up once one was sent."""
    kwargs = sendable(reply_kwargs(answer, command_text, private=True))
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def clicked_command(interaction: Interaction, prefix: str) -> str | None:
    """The command text a button of ours carries after PREFIX in its custom id (Share, Chart,
    a card's actions), or None for any other interaction."""
    if interaction.type is not discord.InteractionType.component:
        return None
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.startswith(prefix):
        return None
    if len(custom_id) > CUSTOM_ID_MAX:  # Discord never sends a longer one
        return None
    return custom_id.removeprefix(prefix).strip() or None
