"""SlackPoster: digests into Slack channels without an incoming request (the scheduler)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.ports import Post
from bot.settings import Settings
from bot.startup import OpenedStore


class SlackPoster:
    """Posts with the workspace's bot token: SLACK_BOT_TOKEN (one workspace), or the OAuth
    installation's token, refreshed first under the team's lock when it rotates."""

    platform = "slack"

    def __init__(self, settings: Settings, opened: OpenedStore) -> None:
        self.settings = settings
        self.opened = opened

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        raise NotImplementedError

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None
