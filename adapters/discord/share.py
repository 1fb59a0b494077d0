"""The Share button: re-run the reply's command for whoever clicks, and post it in the channel.

The button carries only the command text (`venice:share:top-keys 30d 5`), so it keeps working
after a restart. The clicker's own access applies: when the re-run is not a shareable report
(an error now, or billing is admins-only here), the answer goes privately to the clicker.
The Chart button beside it is answered here too (adapters/discord/chart.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from adapters.discord.chart import handle_chart
from adapters.discord.interactions import (
    Interaction,
    caller_of,
    clicked_command,
    sendable,
    workspace_of,
)
from adapters.discord.messages import SHARE_PREFIX, reply_kwargs
from bot.command_text import parse_request
from bot.core import Answer
from bot.followups import shareable
from bot.runtime import Runtime

# Answer in the first response when the re-run is this quick (a cached report), else defer:
# Discord drops an interaction not answered within 3 s.
ANSWER_WITHIN = 2.0


def share_text(interaction: Interaction) -> str | None:
    """The command text of a Share click, or None for any other interaction."""
    return clicked_command(interaction, SHARE_PREFIX)


async def handle_share(interaction: Interaction, runtime: Runtime) -> bool:
    """Answer a Share or Chart click (True), or leave any other interaction alone (False)."""
    if await handle_chart(interaction, runtime):
        return True
    text = share_text(interaction)
    if text is None:
        return False
    workspace = workspace_of(interaction)
    ask = asyncio.ensure_future(
        runtime.ask(
            parse_request(text, datetime.now(UTC).date()),
            workspace_id=workspace,
            caller=caller_of(interaction),
        )
    )
    send: Callable[..., Awaitable[object]]
    done, _ = await asyncio.wait({ask}, timeout=ANSWER_WITHIN)
    if done:
        send = interaction.response.send_message
    else:
        # An update of the clicked message (nothing visible); the card follows as a new message.
        await interaction.response.defer()
        send = interaction.followup.send
    answer: Answer = await ask
    public = shareable(answer)
    # A shared card is final: no Share button under it (its own actions stay).
    kwargs = sendable(reply_kwargs(answer, text, private=not public))
    await send(**kwargs)
    return True
