"""DiscordPoster: digests into Discord channels over the HTTP API alone (no gateway)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord

from adapters.discord.api_base import use_api_url
from adapters.discord.messages import chart_file, show_attached
from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from bot.logs import register_secret
from bot.ports import ChannelUnavailable, Post, PostFailed
from bot.settings import Settings

log = logging.getLogger(__name__)

NONCE_CHARS = 25  # Discord's limit on a message nonce
RUN_AGAIN = "run /venice digest on again"
# Discord's JSON error codes that mean the bot cannot post into that channel.
MISSING_ACCESS, MISSING_PERMISSIONS, UNKNOWN_CHANNEL = 50001, 50013, 10003


def nonce_of(dedupe_key: str) -> str:
    """A nonce of at most 25 characters, the same for every attempt at one DEDUPE_KEY."""
    digest = hashlib.sha256(dedupe_key.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:NONCE_CHARS]


def channel_advice(error: discord.HTTPException, channel_id: str) -> str:
    """One sentence for the admins: why the bot cannot post into CHANNEL_ID, and what to do."""
    channel = f"<#{channel_id}>"
    if error.code == UNKNOWN_CHANNEL or isinstance(error, discord.NotFound):
        return f"The channel {channel} no longer exists: {RUN_AGAIN} in another channel."
    return (
        f"The bot may not post in {channel}: give it View Channel, Send Messages, Embed Links "
        f"and Attach Files there, then {RUN_AGAIN}."
    )


def digest_message(post: Post) -> tuple[discord.Embed, discord.File | None]:
    """The card's embed, showing the chart attached to the same message when there is one."""
    embed = card_embed(post.card)
    if post.chart is None:
        return embed, None
    return show_attached(embed, post.chart), chart_file(post.chart)


class DiscordPoster:
    """Logs the HTTP client in with DISCORD_TOKEN on first use and sends by channel id."""

    platform = "discord"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: discord.Client | None = None
        self._login = asyncio.Lock()

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        """Send the card (and its chart) into CHANNEL_ID; the message id."""
        client = await self._logged_in()
        embed, file = digest_message(post)
        extra: dict[str, Any] = {}
        if file is not None:
            extra["file"] = file
        if post.dedupe_key:
            # discord.py sends `enforce_nonce` with every nonce: Discord then answers a repeat
            # within a few minutes with the first message instead of posting it twice.
            extra["nonce"] = nonce_of(post.dedupe_key)
        channel = client.get_partial_messageable(_snowflake(channel_id))
        try:
            message = await channel.send(embed=embed, allowed_mentions=ALLOWED_MENTIONS, **extra)
        except (discord.Forbidden, discord.NotFound) as error:
            raise ChannelUnavailable(channel_advice(error, channel_id)) from error
        except discord.HTTPException as error:
            retry = 5.0 if error.status >= 500 else None
            raise PostFailed(
                f"Discord refused the post (HTTP {error.status}, code {error.code}).",
                retry_after=retry,
            ) from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise PostFailed(f"could not reach Discord ({type(error).__name__}).") from error
        return str(message.id)

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        """TEXT to each admin in a DM; failures are logged, never raised."""
        try:
            client = await self._logged_in()
        except PostFailed as error:
            log.warning("discord: cannot tell the admins of %s: %s", workspace_id, error.message)
            return
        for user_id in dict.fromkeys(user_ids):
            try:
                dm = await client.http.start_private_message(int(user_id))
                await client.get_partial_messageable(int(dm["id"])).send(
                    text, allowed_mentions=ALLOWED_MENTIONS
                )
            except (discord.HTTPException, aiohttp.ClientError, OSError, ValueError) as error:
                code = getattr(error, "code", type(error).__name__)
                log.warning("discord: could not tell %s of %s (%s)", user_id, workspace_id, code)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _logged_in(self) -> discord.Client:
        """The client, its HTTP side logged in with DISCORD_TOKEN (once; no gateway)."""
        async with self._login:
            if self._client is not None:
                return self._client
            if self.settings.discord_token is None:
                raise PostFailed("Discord is not configured (DISCORD_TOKEN).")
            token = self.settings.discord_token.get_secret_value()
            register_secret(token)
            use_api_url(self.settings.discord_api_url)
            client = discord.Client(
                intents=discord.Intents.none(), allowed_mentions=ALLOWED_MENTIONS
            )
            try:
                await client.login(token)
            except discord.LoginFailure as error:
                await client.close()
                raise PostFailed("Discord refused DISCORD_TOKEN (401 Unauthorized).") from error
            except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
                await client.close()
                raise PostFailed(f"could not reach Discord ({type(error).__name__}).") from error
            self._client = client
            return client


def _snowflake(value: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise ChannelUnavailable(f"{value!r} is not a Discord id.") from error
