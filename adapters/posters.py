"""The Posters of one process, by platform: whichever of Slack and Discord are configured, and
the console (for the demo's `console:` workspaces)."""

from __future__ import annotations

from bot.ports import Poster
from bot.settings import Settings
from bot.startup import OpenedStore


def build_posters(settings: Settings, opened: OpenedStore) -> dict[str, Poster]:
    """Slack when SLACK_BOT_TOKEN or the OAuth pair is set; Discord when DISCORD_TOKEN is."""
    raise NotImplementedError
