"""RecordingPoster: a Poster (bot.ports) that keeps what it was asked to post and to tell, and
can be told to fail the way Slack and Discord posters do.

Like Slack, it posts a chart as an upload of its own (`post_chart`) and finds a delivery's post
among what it posted (`find`), unless told it cannot look back."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.ports import (
    CannotLookBack,
    ChannelUnavailable,
    ChartRefused,
    Found,
    Post,
    Posted,
    PostFailed,
)


@dataclass(frozen=True, slots=True)
class Sent:
    workspace_id: str
    channel_id: str
    post: Post
    message_id: str


@dataclass(frozen=True, slots=True)
class Told:
    workspace_id: str
    user_ids: tuple[str, ...]
    text: str


class RecordingPoster:
    """Posts nowhere: records each post, each chart and each message to admins, in order."""

    def __init__(self, platform: str = "slack") -> None:
        self.platform = platform
        self.posts: list[Sent] = []
        self.charts: list[Sent] = []  # the post whose chart was uploaded, with the file id
        self.told: list[Told] = []
        self.looked: list[str] = []  # the deliveries looked for
        self.attempts = 0
        self.closed = False
        self.blind = False  # find() raises CannotLookBack
        self.delay = 0.0  # seconds each post and chart takes (the platform taking it at the end)
        self.slow_answer = 0.0  # seconds the answer takes after the platform took the post
        self.look_back_fails: PostFailed | None = None  # find() raises it
        self._next_failures: deque[Exception] = deque()
        self._after_taking: deque[Exception] = deque()
        self._next_chart_failures: deque[Exception] = deque()
        self._unavailable: dict[str, tuple[str, str | None]] = {}

    def fail_next(self, error: PostFailed | Exception, times: int = 1) -> None:
        """Raise ERROR on the next TIMES posts (PostFailed, ChannelUnavailable, anything)."""
        self._next_failures.extend(error for _ in range(times))

    def take_then_fail(self, error: PostFailed) -> None:
        """The next post goes in (the channel has it), then ERROR is raised: its answer lost."""
        self._after_taking.append(error)

    def fail_next_chart(self, error: PostFailed | Exception, times: int = 1) -> None:
        """Raise ERROR on the next TIMES chart uploads (ChartRefused, PostFailed, anything)."""
        self._next_chart_failures.extend(error for _ in range(times))

    def make_unavailable(self, channel_id: str, message: str, *, here: str | None = None) -> None:
        """Every post into CHANNEL_ID raises ChannelUnavailable(MESSAGE) from now on."""
        self._unavailable[channel_id] = (message, here)

    def in_channel(self, channel_id: str) -> list[Post]:
        """What was posted into CHANNEL_ID, oldest first."""
        return [posted.post for posted in self.posts if posted.channel_id == channel_id]

    def charts_in(self, channel_id: str) -> list[Post]:
        """The posts whose chart went into CHANNEL_ID, oldest first."""
        return [posted.post for posted in self.charts if posted.channel_id == channel_id]

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> Posted:
        self.attempts += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next_failures:
            raise self._next_failures.popleft()
        if channel_id in self._unavailable:
            message, here = self._unavailable[channel_id]
            raise ChannelUnavailable(message, here=here)
        message_id = f"{1_700_000_000 + len(self.posts)}.000100"
        self.posts.append(Sent(workspace_id, channel_id, post, message_id))
        if self._after_taking:
            raise self._after_taking.popleft()
        if self.slow_answer:
            await asyncio.sleep(self.slow_answer)
        return Posted(message_id)

    async def post_chart(
        self, workspace_id: str, channel_id: str, post: Post, *, message_id: str
    ) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._next_chart_failures:
            raise self._next_chart_failures.popleft()
        file_id = f"F{len(self.charts) + 1:07d}"
        self.charts.append(Sent(workspace_id, channel_id, post, file_id))
        return file_id

    async def find(
        self, workspace_id: str, channel_id: str, delivery: str, *, since: datetime, until: datetime
    ) -> Found | None:
        self.looked.append(delivery)
        if self.blind:
            raise CannotLookBack("this poster was told it cannot look back")
        if self.look_back_fails is not None:
            raise self.look_back_fails
        message = next(
            (p for p in self.posts if p.channel_id == channel_id and p.post.delivery == delivery),
            None,
        )
        if message is None:
            return None
        chart = next(
            (c for c in self.charts if c.channel_id == channel_id and c.post.delivery == delivery),
            None,
        )
        return Found(message.message_id, chart_id=None if chart is None else chart.message_id)

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        self.told.append(Told(workspace_id, tuple(user_ids), text))

    async def aclose(self) -> None:
        self.closed = True


__all__ = ["ChartRefused", "RecordingPoster", "Sent", "Told"]
