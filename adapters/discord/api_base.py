"""Where discord.py sends its HTTP requests: DISCORD_API_URL (tests point it at a local fake)."""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route

from bot.settings import DEFAULT_DISCORD_API_URL

# discord.py's payload-dumping DEBUG loggers are held at INFO by bot.logs.configure_logging.


def use_api_url(url: str) -> None:
    """Send every discord.py request (REST and interaction webhooks) to URL.

    discord.py builds each request URL from the class attribute `Route.BASE`, which its own
    API-version switch sets the same way: the whole process talks to one Discord API.
    """
    Route.BASE = url.strip().rstrip("/")


async def use_gateway_of(http: HTTPClient) -> None:
    """Connect to the gateway that this API names (`GET /gateway/bot`) when it is not Discord's.

    discord.py's unsharded client dials Discord's well-known gateway without asking; a local
    fake or a proxy of the API must also serve its own gateway.
    """
    if Route.BASE == DEFAULT_DISCORD_API_URL:
        return
    _shards, url, _limits = await http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


def api_url() -> str:
    """The HTTP API base discord.py uses now."""
    return Route.BASE
