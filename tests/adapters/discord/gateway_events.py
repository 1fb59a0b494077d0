"""INTERACTION_CREATE payloads as Discord's gateway sends them: a slash command, a button click
and a modal submission, from a member with the given permissions."""

from __future__ import annotations

import itertools
import secrets
from datetime import UTC, datetime
from typing import Any

import discord

from tests.adapters.discord.fake_discord import APPLICATION_ID, bot_user
from tests.adapters.discord.standin import CHANNEL_ID, GUILD_ID

SLASH, COMPONENT, MODAL_SUBMIT = 2, 3, 5
_ids = itertools.count(1_300_000_000_000_000_000)
MEMBER = discord.Permissions(send_messages=True, embed_links=True)
MANAGER = discord.Permissions(send_messages=True, embed_links=True, manage_guild=True)


def interaction(
    kind: int,
    data: dict[str, Any],
    *,
    permissions: discord.Permissions,
    user_id: int = 6_000_000_000_000_000_001,
    guild_id: int = GUILD_ID,
    **extra: Any,
) -> dict[str, Any]:
    """One interaction; its `token` is what the bot's answers are addressed with."""
    user = {
        "id": str(user_id),
        "username": "ada",
        "discriminator": "0",
        "global_name": "Ada",
        "avatar": None,
    }
    return {
        "id": str(next(_ids)),
        "application_id": str(APPLICATION_ID),
        "type": kind,
        "token": "interaction-" + secrets.token_hex(16),
        "version": 1,
        "guild_id": str(guild_id),
        "channel_id": str(CHANNEL_ID),
        "channel": {
            "id": str(CHANNEL_ID),
            "type": 0,
            "guild_id": str(guild_id),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        },
        "member": {
            "user": user,
            "roles": [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": str(permissions.value),
        },
        "app_permissions": str(MEMBER.value),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "attachment_size_limit": 10_485_760,
        "data": data,
        **extra,
    }


def slash(
    subcommand: str, *, permissions: discord.Permissions = MEMBER, **options: str | int
) -> dict[str, Any]:
    """`/venice SUBCOMMAND option:value ...`."""
    typed = [
        {"name": name, "type": 4 if isinstance(value, int) else 3, "value": value}
        for name, value in options.items()
    ]
    data = {
        "id": str(next(_ids)),
        "name": "venice",
        "type": 1,
        "options": [{"name": subcommand, "type": 1, "options": typed}],
    }
    return interaction(SLASH, data, permissions=permissions)


def click(
    custom_id: str,
    *,
    permissions: discord.Permissions = MEMBER,
    on: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A click on a button of an ephemeral message of the bot, or of the message ON (as the
    fake Discord answered its post: a scheduled post in the channel)."""
    data = {"custom_id": custom_id, "component_type": 2}
    if on is not None:
        return interaction(COMPONENT, data, permissions=permissions, message=on)
    message = {
        "id": str(next(_ids)),
        "channel_id": str(CHANNEL_ID),
        "type": 0,
        "content": "",
        "author": bot_user(),
        "embeds": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": datetime.now(UTC).isoformat(),
        "edited_timestamp": None,
        "flags": 64,
        "components": [
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": "Share", "custom_id": custom_id}],
            }
        ],
    }
    return interaction(COMPONENT, data, permissions=permissions, message=message)


def submit_modal(
    modal: dict[str, Any], value: str, *, permissions: discord.Permissions = MANAGER
) -> dict[str, Any]:
    """Submit MODAL (the `data` of the bot's modal response) with VALUE in its text input."""
    (label,) = modal["components"]
    text_input = {"type": 4, "custom_id": label["component"]["custom_id"], "value": value}
    data = {"custom_id": modal["custom_id"], "components": [{"type": 18, "component": text_input}]}
    return interaction(MODAL_SUBMIT, data, permissions=permissions)
