"""ConsolePoster: `console:` workspaces (the demo) get their digest printed as plain text."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from adapters.console.render import render_text
from bot.layout.text import sanitise_line
from bot.ports import Found, Post, Posted


class ConsolePoster:
    """Prints each post to STREAM, as the terminal renderer draws it."""

    platform = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._ids = itertools.count(1)

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> Posted:
        """Print the card (and a line standing for its chart); returns `console-N`."""
        lines = [f"── {sanitise_line(workspace_id)} #{sanitise_line(channel_id)} ──"]
        lines.append(render_text(post.card))
        if post.chart is not None:
            # A terminal shows no image: what a screen reader would say stands in for it.
            lines.append(f"[chart: {sanitise_line(post.chart.alt_text)}]")
        self._write("\n".join(lines))
        return Posted(f"console-{next(self._ids)}", chart_attached=True)

    async def post_chart(
        self, workspace_id: str, channel_id: str, post: Post, *, message_id: str
    ) -> str:
        """The terminal shows the chart's line with the card (`post`): nothing more to print."""
        return message_id

    async def find(
        self, workspace_id: str, channel_id: str, delivery: str, *, since: datetime, until: datetime
    ) -> Found | None:
        """A terminal keeps nothing to look back at: what was printed is not found."""
        return None

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        """Print TEXT addressed to the admins."""
        to = ", ".join(sanitise_line(user) for user in user_ids) or "the admins"
        self._write(f"[to {to} of {sanitise_line(workspace_id)}] {sanitise_line(text)}")

    async def aclose(self) -> None:
        return None

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n\n")
        self.stream.flush()
