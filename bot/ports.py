"""What the scheduler needs of a chat platform: post a Card (with its chart) into a channel, and
tell a workspace's admins something privately. Slack, Discord and the console implement it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.cards import Card
from bot.errors import BotError


@dataclass(frozen=True, slots=True)
class ChartImage:
    """A rendered chart: PNG bytes, the text a screen reader says instead, and a file name."""

    png: bytes
    alt_text: str
    filename: str = "venice-spend.png"


@dataclass(frozen=True, slots=True)
class Post:
    """One message for a channel. `dedupe_key` is the same for every attempt at the same digest
    (`digest:slack:T0123:C0456:2026-11-30`): platforms that can drop a repeated send use it
    (Discord's `nonce` with `enforce_nonce`)."""

    card: Card
    chart: ChartImage | None = None
    dedupe_key: str | None = None


class PostFailed(BotError):
    """The platform did not take the post. `retry_after` (seconds) when it may later."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


class ChannelUnavailable(PostFailed):
    """The bot cannot post into that channel (removed, archived, no permission, unknown), nor
    will it by retrying: the schedule is disabled and the admins are told once."""


class Poster(Protocol):
    """A platform's way to post without an incoming request (the digest scheduler, `digest now`).

    Implementations: `adapters.slack.poster.SlackPoster`, `adapters.discord.poster.DiscordPoster`,
    `adapters.console.poster.ConsolePoster`. They render the Card natively, upload the chart
    (Slack `files_upload_v2`, Discord attachment), honour rate limits (Slack about one message a
    second per channel, Retry-After on 429) and raise PostFailed / ChannelUnavailable.
    """

    platform: str  # "slack", "discord", "console": the prefix of the workspace ids it serves

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        """Post into CHANNEL_ID of WORKSPACE_ID; returns the platform's message id."""
        ...

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        """Send TEXT privately to USER_IDS (the admins who set a schedule). Best effort."""
        ...

    async def aclose(self) -> None:
        """Close whatever the poster opened (HTTP sessions)."""
        ...
