"""What manifest.yaml must say about `/venice`, derived from the command registry."""

from __future__ import annotations

from bot.registry import COMMANDS

HINT_SEPARATOR = " | "


def usage_hint() -> str:
    """The slash command's usage hint: every command's usage, in help's order."""
    return HINT_SEPARATOR.join(spec.usage for spec in COMMANDS.values())
