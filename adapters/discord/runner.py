"""Runs the Discord bot inside `venice-bot serve`: log in, hold the gateway, close on stop."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord

from adapters.discord.api_base import use_api_url, use_gateway_of
from adapters.discord.bot import create_bot
from bot.errors import BotError
from bot.logs import register_secret
from bot.runtime import Runtime

log = logging.getLogger(__name__)

CLOSE_TIMEOUT = 2.0  # seconds the gateway loop gets to end after close()
# On stop, interactions already being answered get this long before the client closes (its
# HTTP session goes with it): within serve's own budget (adapters/serve.py).
DRAIN_SECONDS = 4.0
# The tasks discord.py runs an interaction in: slash commands, other interactions (our buttons),
# views and modals.
_INTERACTION_TASKS = ("CommandTree-invoker", "discord.py: on_interaction")
_INTERACTION_TASK_PREFIXES = ("discord-ui-view-dispatch-", "discord-ui-modal-dispatch-")


async def run_discord(runtime: Runtime, stop: asyncio.Event) -> None:
    """Log in with DISCORD_TOKEN, serve /venice until STOP is set, then close cleanly.

    Commands are not synced here (`venice-bot discord sync` is the deploy step). Raises BotError,
    with a message safe to show, when Discord refuses the token or the intents.
    """
    settings = runtime.settings
    if settings.discord_token is None:
        raise BotError("DISCORD_TOKEN is not set, so the Discord bot cannot start.")
    token = settings.discord_token.get_secret_value()
    register_secret(token)
    use_api_url(settings.discord_api_url)
    bot = create_bot(runtime, sharded=settings.discord_sharded)
    async with bot.client:
        try:
            await bot.client.login(token)
            await use_gateway_of(bot.client.http)
        except discord.LoginFailure as error:
            raise BotError("Discord refused DISCORD_TOKEN (401 Unauthorized).") from error
        except (discord.DiscordException, aiohttp.ClientError, OSError) as error:
            raise BotError(
                f"could not reach Discord at {settings.discord_api_url} ({type(error).__name__})."
            ) from error
        connection = asyncio.create_task(bot.client.connect(reconnect=True), name="discord")
        stopping = asyncio.create_task(stop.wait(), name="discord-stop")
        log.info("discord: connecting to the gateway (sharded: %s)", settings.discord_sharded)
        try:
            await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
            failed_by_itself = connection.done()
        finally:
            stopping.cancel()
            if not connection.done():
                await _drain(DRAIN_SECONDS)
            await _close(bot.client, connection)
        if failed_by_itself:
            _raise_for(connection)
    log.info("discord: disconnected")


async def _drain(seconds: float) -> None:
    """Wait up to SECONDS for the interactions being answered to finish."""
    pending = {
        task
        for task in asyncio.all_tasks()
        if not task.done()
        and (
            task.get_name() in _INTERACTION_TASKS
            or task.get_name().startswith(_INTERACTION_TASK_PREFIXES)
        )
    }
    if pending:
        await asyncio.wait(pending, timeout=seconds)


async def _close(client: discord.Client, connection: asyncio.Task[None]) -> None:
    """Close the client; its gateway loop then ends (a reconnect back-off sleep is cut short)."""
    await client.close()
    if not connection.done():
        await asyncio.wait({connection}, timeout=CLOSE_TIMEOUT)
        connection.cancel()
    if connection.done() and not connection.cancelled():
        connection.exception()  # retrieved: an error while closing is expected, not news


def _raise_for(connection: asyncio.Task[None]) -> None:
    """Why the gateway connection ended before it was asked to, as a BotError."""
    error = None if connection.cancelled() else connection.exception()
    if error is None:
        return
    if isinstance(error, discord.PrivilegedIntentsRequired):
        raise BotError("Discord refused the bot's intents.") from error
    if isinstance(error, discord.LoginFailure):
        raise BotError("Discord refused DISCORD_TOKEN on the gateway.") from error
    raise BotError(f"the Discord gateway connection failed ({type(error).__name__}).") from error
