"""What the scheduler needs of a chat platform: post a Card into a channel, complete its chart,
find a post it may already have made, and tell a workspace's admins something privately. Slack,
Discord and the console implement it; bot/delivery.py drives it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

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
    """One message for a channel. `delivery` is the delivery's stable id (bot/delivery.py), the
    same for every attempt at the same post: the platform marks the post with it (Slack message
    metadata, Discord's nonce and the embed's link), so that a process recovering from a crash
    can find the post instead of making it twice. None: a one-off post (`digest now`)."""

    card: Card
    chart: ChartImage | None = None
    delivery: str | None = None
    # The message this one answers (its platform id): Slack posts it in that message's thread,
    # Discord as a reply to it (an alert's reminder and its "recovered").
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """A message the platform took: its id, and whether the chart went with it (Discord attaches
    it to the message; on Slack it is a file upload of its own, `Poster.post_chart`)."""

    message_id: str
    chart_attached: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """A delivery's post, found in the channel: the message, and the chart's file if it was
    found beside it (None: not there, or it travels inside the message)."""

    message_id: str
    chart_id: str | None = None
    chart_attached: bool = False


@dataclass(frozen=True, slots=True)
class PostReport:
    """What a one-off post (`digest now`) put into the channel: the message, and its chart's end
    (None: it had none), with what the platform said of a chart it did not take (phrased for a
    reply in that channel)."""

    message_id: str
    chart: Literal["sent", "refused", "failed"] | None = None
    chart_problem: str | None = None


class PostFailed(BotError):
    """The platform did not take the post. `retry_after` (seconds) when it may later.

    `uncertain`: the request may have reached the platform (a timeout, a dropped connection), so
    the post may exist: the delivery is reconciled (`Poster.find`) before it is made again.
    `here`: the same advice for a reply inside that very channel (`digest now`), when it differs
    from `message` (written for the admins, elsewhere, about a schedule).
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        uncertain: bool = False,
        here: str | None = None,
    ) -> None:
        self.message = message
        self.retry_after = retry_after
        self.uncertain = uncertain
        self.here = here
        super().__init__(message)


class ChannelUnavailable(PostFailed):
    """The bot cannot post into that channel (removed, archived, no permission, unknown), nor
    will it by retrying: the schedule is disabled and the admins are told once."""


class ChartRefused(PostFailed):
    """The message went in but the platform will not take its chart there (Slack: the bot is not
    a member of the channel and cannot join it). `message` says what an admin can do."""


class CannotLookBack(BotError):
    """The platform cannot tell whether a post was made (a Slack install without the history
    scopes, a channel the bot cannot read). `message` says why, for the log."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class Poster(Protocol):
    """A platform's way to post without an incoming request (the digest scheduler, `digest now`).

    Implementations: `adapters.slack.poster.SlackPoster`, `adapters.discord.poster.DiscordPoster`,
    `adapters.console.poster.ConsolePoster`. They render the Card natively, honour rate limits
    (Slack about one message a second per channel, Retry-After on 429) and raise PostFailed,
    ChannelUnavailable or ChartRefused.
    """

    platform: str  # "slack", "discord", "console": the prefix of the workspace ids it serves

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> Posted:
        """Post the card into CHANNEL_ID of WORKSPACE_ID, marked with `post.delivery`; the chart
        too where the platform attaches it to the message."""
        ...

    async def post_chart(
        self, workspace_id: str, channel_id: str, post: Post, *, message_id: str
    ) -> str:
        """Upload `post.chart` beside the message MESSAGE_ID (platforms that do not attach it to
        the message); returns the file's id. ChartRefused when the channel will not take it."""
        ...

    async def find(
        self, workspace_id: str, channel_id: str, delivery: str, *, since: datetime, until: datetime
    ) -> Found | None:
        """The post marked DELIVERY in CHANNEL_ID made between SINCE and UNTIL, or None when
        there is none. CannotLookBack when the platform cannot say."""
        ...

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        """Send TEXT privately to USER_IDS (the admins who set a schedule). Best effort."""
        ...

    async def aclose(self) -> None:
        """Close whatever the poster opened (HTTP sessions)."""
        ...
