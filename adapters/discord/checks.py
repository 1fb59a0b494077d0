"""Permission checks of /venice and the tree's error handler, which answers every failure privately.

`default_permissions` is only a hint that server admins can override, and subcommands ignore it:
the checks here are what actually stops a member without Manage Server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from discord import app_commands

from adapters.discord.interactions import Interaction, send_private
from bot.cards import Card, Tone
from bot.core import Answer, Outcome
from bot.registry import COMMANDS

log = logging.getLogger(__name__)

T = TypeVar("T")
MANAGE_SERVER = "Manage Server"
# discord.py's permission names as Discord's apps show them to people.
PERMISSION_LABELS = {
    "manage_guild": MANAGE_SERVER,
    "administrator": "Administrator",
    "manage_channels": "Manage Channels",
}


def manage_server() -> Callable[[T], T]:
    """The check on every admin command: the member needs Manage Server in this server."""
    return app_commands.checks.has_permissions(manage_guild=True)


def permission_label(name: str) -> str:
    """`manage_guild` -> `Manage Server`, as Discord's apps name it."""
    return PERMISSION_LABELS.get(name) or name.replace("_", " ").replace("guild", "server").title()


def missing_permission_card(missing: list[str], command: str | None) -> Card:
    """A private refusal naming the permission that is needed and what it would allow."""
    labels = " and ".join(permission_label(name) for name in missing) or MANAGE_SERVER
    spec = COMMANDS.get(command or "")
    action = spec.admin_action if spec is not None and spec.admin_action else "do that"
    return Card(
        title=f"{labels} needed",
        kind="error",
        tone=Tone.WARNING,
        summary=f"You need the {labels} permission in this server to {action}; ask someone who "
        "has it.",
        data={
            "error": "MissingPermissions",
            "status": None,
            "retry_after": None,
            "command": command,
            "missing_permissions": list(missing),
        },
    )


def failure_card(
    error: str,
    title: str = "Something went wrong",
    summary: str = "The bot could not answer that. Try again in a minute; the error was logged.",
) -> Card:
    """A private apology for a failure inside the bot; ERROR names its type, nothing more."""
    data: dict[str, Any] = {"error": error, "status": None, "retry_after": None}
    return Card(title=title, kind="error", tone=Tone.DANGER, summary=summary, data=data)


def _command_name(interaction: Interaction) -> str | None:
    command = interaction.command
    return command.name if command is not None else None


async def on_tree_error(interaction: Interaction, error: app_commands.AppCommandError) -> None:
    """Answer a failed check or a crashed command privately; never show a traceback."""
    name = _command_name(interaction)
    outcome: Outcome
    if isinstance(error, app_commands.MissingPermissions):
        card = missing_permission_card(error.missing_permissions, name)
        outcome = "forbidden"
    elif isinstance(error, app_commands.NoPrivateMessage):
        card = failure_card(
            "NoPrivateMessage",
            "Only in a server",
            "/venice works in a server, where its Venice key is connected: use it there.",
        )
        outcome = "invalid"
    else:
        original = getattr(error, "original", error)
        # The type only in the message; the traceback at WARNING for the operator.
        log.warning("discord /venice %s failed: %s", name, type(original).__name__, exc_info=error)
        card = failure_card(type(original).__name__)
        outcome = "failed"
    answer = Answer(card, outcome, name)
    await send_private(interaction, answer, name or "")
