"""RecordingPoster: a Poster (bot.ports) that keeps what it was asked to post and to tell, and
can be told to fail the way Slack and Discord posters do."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from bot.ports import ChannelUnavailable, Post, PostFailed


@dataclass(frozen=True, slots=True)
class Posted:
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
    """Posts nowhere: records each post and each message to admins, in order."""

    def __init__(self, platform: str = "slack") -> None:
        self.platform = platform
        self.posts: list[Posted] = []
        self.told: list[Told] = []
        self.attempts = 0
        self.closed = False
        self._next_failures: deque[Exception] = deque()
        self._unavailable: dict[str, str] = {}

    def fail_next(self, error: PostFailed | Exception, times: int = 1) -> None:
        """Raise ERROR on the next TIMES posts (PostFailed, ChannelUnavailable, anything)."""
        self._next_failures.extend(error for _ in range(times))

    def make_unavailable(self, channel_id: str, message: str) -> None:
        """Every post into CHANNEL_ID raises ChannelUnavailable(MESSAGE) from now on."""
        self._unavailable[channel_id] = message

    def in_channel(self, channel_id: str) -> list[Post]:
        """What was posted into CHANNEL_ID, oldest first."""
        return [posted.post for posted in self.posts if posted.channel_id == channel_id]

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        self.attempts += 1
        if self._next_failures:
            raise self._next_failures.popleft()
        if channel_id in self._unavailable:
            raise ChannelUnavailable(self._unavailable[channel_id])
        message_id = f"{1_700_000_000 + len(self.posts)}.000100"
        self.posts.append(Posted(workspace_id, channel_id, post, message_id))
        return message_id

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        self.told.append(Told(workspace_id, tuple(user_ids), text))

    async def aclose(self) -> None:
        self.closed = True
