"""The Posters of one process, by platform: whichever of Slack and Discord are configured, and
the console (for the demo's `console:` workspaces)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from bot.ports import Poster
from bot.settings import Settings
from bot.startup import OpenedStore

log = logging.getLogger(__name__)


def build_posters(settings: Settings, opened: OpenedStore) -> dict[str, Poster]:
    """Slack when SLACK_BOT_TOKEN or the OAuth pair is set; Discord when DISCORD_TOKEN is."""
    # Imported here: a process without Slack or Discord never loads their SDKs.
    from adapters.console.poster import ConsolePoster

    posters: dict[str, Poster] = {}
    if settings.slack_configured:
        from adapters.slack.poster import SlackPoster

        posters["slack"] = SlackPoster(settings, opened)
    if settings.discord_token is not None:
        from adapters.discord.poster import DiscordPoster

        posters["discord"] = DiscordPoster(settings)
    posters["console"] = ConsolePoster()
    return posters


async def close_posters(posters: Mapping[str, Poster]) -> None:
    """Close every poster; one that fails to close does not keep the others open."""
    for platform, poster in posters.items():
        try:
            await poster.aclose()
        except Exception as error:  # shutting down: say so, and close the rest
            log.warning("closing the %s poster failed: %s", platform, type(error).__name__)
