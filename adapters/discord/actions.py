"""A card's action buttons (`Card.actions`: an alert's Snooze, Ack and Balance): run the
button's command as whoever clicks (the core checks their rights) and answer them alone, in an
ephemeral follow-up; the message the button is under stays as it is.

The button carries only the command text (`venice:run:alert ack 3`), so it keeps working after a
restart, on a scheduled post as on a reply.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.discord.interactions import (
    Interaction,
    caller_of,
    clicked_command,
    sendable,
    workspace_of,
)
from adapters.discord.messages import RUN_PREFIX, reply_kwargs
from bot.command_text import parse_request
from bot.runtime import Runtime


def action_text(interaction: Interaction) -> str | None:
    """The command text of an action button's click, or None for any other interaction."""
    return clicked_command(interaction, RUN_PREFIX)


async def handle_action(interaction: Interaction, runtime: Runtime) -> bool:
    """Answer an action button's click privately (True), or leave any other interaction alone
    (False)."""
    text = action_text(interaction)
    if text is None:
        return False
    workspace = workspace_of(interaction)
    # Within Discord's 3 s; the answer (Venice may be slow) follows, to the clicker alone.
    await interaction.response.defer(ephemeral=True, thinking=True)
    request = parse_request(text, datetime.now(UTC).date())
    answer = await runtime.ask(request, workspace_id=workspace, caller=caller_of(interaction))
    await interaction.followup.send(**sendable(reply_kwargs(answer, text, private=True)))
    return True
