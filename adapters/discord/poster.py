"""DiscordPoster: digests into Discord channels over the HTTP API alone (no gateway)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ports import Post
from bot.settings import Settings


class DiscordPoster:
    """Logs the HTTP client in with DISCORD_TOKEN on first use and sends by channel id."""

    platform = "discord"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        raise NotImplementedError

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None
