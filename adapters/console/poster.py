"""ConsolePoster: `console:` workspaces (the demo) get their digest printed as plain text."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from bot.ports import Post


class ConsolePoster:
    """Prints each post to STREAM, as the terminal renderer draws it."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        raise NotImplementedError

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None
