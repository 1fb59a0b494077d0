"""DiscordPoster: scheduled posts into Discord channels over the HTTP API alone (no gateway).

A delivery's message carries its chart as an attachment (one message: both or neither), a
nonce made from the delivery's id (with `enforce_nonce`, Discord answers a repeat within a few
minutes with the first message), and the same id in the embed's link, so that a process
recovering past Discord's nonce window finds it among the bot's recent messages in the channel
(Read Message History) instead of posting it again. A card's actions (an alert's Snooze, Ack
and Balance) are buttons under it, answered by the bot's gateway client whichever process posted
them: each keeps its command in its custom id.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
import discord

from adapters.discord.api_base import use_api_url
from adapters.discord.messages import card_view, chart_file, show_attached
from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from bot.logs import register_secret
from bot.ports import (
    CannotLookBack,
    ChannelUnavailable,
    ChartRefused,
    Found,
    Post,
    Posted,
    PostFailed,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

NONCE_CHARS = 25  # Discord's limit on a message nonce
# The embed of a delivery links to Venice's API page; the fragment names the delivery.
MARKER_URL = "https://venice.ai/settings/api#venice-bot-"
# How far back a recovering process reads a channel: pages of 100 messages, at most this many.
HISTORY_PAGE = 100
HISTORY_PAGES = 5
RUN_AGAIN = "run /venice digest on again"
# Discord's JSON error codes that mean the bot cannot post into that channel.
MISSING_ACCESS, MISSING_PERMISSIONS, UNKNOWN_CHANNEL = 50001, 50013, 10003
# What the bot needs in a channel it posts digests to (docs/discord.md's invite link has them).
CHANNEL_PERMISSIONS = (
    "View Channel, Send Messages, Embed Links, Attach Files and Read Message History"
)


def nonce_of(delivery: str) -> str:
    """A nonce of at most 25 characters, the same for every attempt at one DELIVERY."""
    digest = hashlib.sha256(delivery.encode()).digest()
    return base64.b32encode(digest).decode().lower()[:NONCE_CHARS]


def marker_of(delivery: str) -> str:
    """The link the embed of DELIVERY's message carries (its title links to Venice)."""
    return MARKER_URL + nonce_of(delivery)


def channel_advice(error: discord.HTTPException, channel_id: str) -> str:
    """One sentence for the admins: why the bot cannot post into CHANNEL_ID, and what to do."""
    channel = f"<#{channel_id}>"
    if error.code == UNKNOWN_CHANNEL or isinstance(error, discord.NotFound):
        return f"The channel {channel} no longer exists: {RUN_AGAIN} in another channel."
    return (
        f"The bot may not post in {channel}: give it {CHANNEL_PERMISSIONS} there, then {RUN_AGAIN}."
    )


def channel_advice_here(error: discord.HTTPException) -> str:
    """The same advice for a reply inside that channel (`digest now`)."""
    if error.code == UNKNOWN_CHANNEL or isinstance(error, discord.NotFound):
        return "Discord does not know this channel any more."
    return f"Give the bot {CHANNEL_PERMISSIONS} in this channel, then try again."


def digest_message(post: Post) -> tuple[discord.Embed, discord.File | None]:
    """The card's embed (marked with the delivery), showing the chart attached to the same
    message when there is one."""
    embed = card_embed(post.card)
    if post.delivery is not None and embed.title:
        embed.url = marker_of(post.delivery)
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

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> Posted:
        """Send the card and its chart into CHANNEL_ID as one message; its id. A channel that
        takes the message but not files (no Attach Files) gets the card alone: the chart then
        goes through `post_chart`, which says what to do."""
        client = await self._logged_in()
        embed, file = digest_message(post)
        view = card_view(post.card)
        reference = None
        if post.reply_to:  # a reply to the message it follows (an alert's recovery)
            reference = discord.MessageReference(
                message_id=int(post.reply_to),
                channel_id=_snowflake(channel_id),
                fail_if_not_exists=False,
            )
        try:
            message = await self._send(
                client,
                channel_id,
                post.delivery,
                embed=embed,
                file=file,
                view=view,
                reference=reference,
            )
        except ChannelUnavailable as refused:
            cause = refused.__cause__
            if file is None or not (
                isinstance(cause, discord.Forbidden) and cause.code == MISSING_PERMISSIONS
            ):
                raise
            bare, _ = digest_message(Post(post.card, None, post.delivery))
            message = await self._send(
                client, channel_id, post.delivery, embed=bare, view=card_view(post.card)
            )
            return Posted(str(message.id), chart_attached=False)
        return Posted(str(message.id), chart_attached=file is not None)

    async def post_chart(
        self, workspace_id: str, channel_id: str, post: Post, *, message_id: str
    ) -> str:
        """The chart as a reply to MESSAGE_ID (a channel that refused it with the message);
        ChartRefused saying which permission it needs."""
        if post.chart is None:
            raise ValueError("post_chart needs a post with a chart")
        client = await self._logged_in()
        reference = discord.MessageReference(
            message_id=int(message_id), channel_id=_snowflake(channel_id), fail_if_not_exists=False
        )
        chart_key = None if post.delivery is None else post.delivery + ":chart"
        try:
            message = await self._send(
                client, channel_id, chart_key, file=chart_file(post.chart), reference=reference
            )
        except ChannelUnavailable as refused:
            advice = (
                f"Give the bot Attach Files in <#{channel_id}>: the digest went in without its "
                "chart."
            )
            raise ChartRefused(advice, here="Give the bot Attach Files in this channel.") from (
                refused
            )
        return str(message.attachments[0].id) if message.attachments else str(message.id)

    async def find(
        self, workspace_id: str, channel_id: str, delivery: str, *, since: datetime, until: datetime
    ) -> Found | None:
        """The bot's message marked DELIVERY in CHANNEL_ID between SINCE and UNTIL, from the
        channel's messages of that time; CannotLookBack without Read Message History, or when
        the window holds more than a few pages of messages."""
        client = await self._logged_in()
        me = str(client.user.id) if client.user is not None else None
        marker = marker_of(delivery)
        after = discord.utils.time_snowflake(since)
        last = discord.utils.time_snowflake(until, high=True)
        for _ in range(HISTORY_PAGES):
            try:
                page = await client.http.logs_from(
                    _snowflake(channel_id), HISTORY_PAGE, after=after
                )
            except (discord.Forbidden, discord.NotFound) as error:
                raise CannotLookBack(
                    "the bot may not read the channel's messages (Read Message History, "
                    f"HTTP {error.status})"
                ) from error
            except discord.HTTPException as error:
                raise PostFailed(f"Discord refused the look back (HTTP {error.status}).") from error
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                raise PostFailed(f"could not reach Discord ({type(error).__name__}).") from error
            for message in page:
                if int(message["id"]) > last:
                    continue
                author = str((message.get("author") or {}).get("id") or "")
                embeds = message.get("embeds") or []
                if author == me and any(embed.get("url") == marker for embed in embeds):
                    attached = bool(message.get("attachments"))
                    return Found(str(message["id"]), chart_attached=attached)
            # Pages go forward in time from `after`: past UNTIL, or the end, it is not there.
            after = max((int(message["id"]) for message in page), default=last)
            if len(page) < HISTORY_PAGE or after >= last:
                return None
        raise CannotLookBack(f"more than {HISTORY_PAGES * HISTORY_PAGE} messages in the window")

    async def _send(
        self,
        client: discord.Client,
        channel_id: str,
        delivery: str | None,
        *,
        embed: discord.Embed | None = None,
        file: discord.File | None = None,
        reference: discord.MessageReference | None = None,
        view: discord.ui.View | None = None,
    ) -> discord.Message:
        """One message into CHANNEL_ID (nonce of DELIVERY); its failures as PostFailed."""
        extra: dict[str, Any] = {}
        if embed is not None:
            extra["embed"] = embed
        if view is not None:
            extra["view"] = view
        if file is not None:
            extra["file"] = file
        if reference is not None:
            extra["reference"] = reference
            extra["mention_author"] = False
        if delivery is not None:
            # discord.py sends `enforce_nonce` with every nonce: Discord then answers a repeat
            # within a few minutes with the first message instead of posting it twice.
            extra["nonce"] = nonce_of(delivery)
        channel = client.get_partial_messageable(_snowflake(channel_id))
        try:
            return await channel.send(allowed_mentions=ALLOWED_MENTIONS, **extra)
        except (discord.Forbidden, discord.NotFound) as error:
            raise ChannelUnavailable(
                channel_advice(error, channel_id), here=channel_advice_here(error)
            ) from error
        except discord.HTTPException as error:
            retry = 5.0 if error.status >= 500 else None
            raise PostFailed(
                f"Discord refused the post (HTTP {error.status}, code {error.code}).",
                retry_after=retry,
                uncertain=error.status >= 500,
            ) from error
        except aiohttp.ClientConnectorError as error:  # no connection: nothing went in
            raise PostFailed(f"could not reach Discord ({type(error).__name__}).") from error
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            raise PostFailed(
                f"could not reach Discord ({type(error).__name__}).", uncertain=True
            ) from error
        finally:
            if view is not None:
                # The gateway client answers its clicks by custom id: this client keeps nothing.
                view.stop()

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
