"""The Chart button: re-run the reply's command for whoever clicks, and show its chart to them
alone: an ephemeral follow-up with the PNG attached and an embed showing it.

Like Share, the button carries only the command text (`venice:chart:usage 30d`), so it keeps
working after a restart, and the clicker's own access applies.
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from adapters.discord.interactions import (
    Interaction,
    caller_of,
    clicked_command,
    sendable,
    workspace_of,
)
from adapters.discord.messages import CHART_PREFIX, chart_file, reply_kwargs, show_attached
from adapters.discord.render import ALLOWED_MENTIONS
from bot.charts import render_chart_async
from bot.command_text import parse_request
from bot.followups import chartable
from bot.runtime import Runtime


def chart_text(interaction: Interaction) -> str | None:
    """The command text of a Chart click, or None for any other interaction."""
    return clicked_command(interaction, CHART_PREFIX)


async def handle_chart(interaction: Interaction, runtime: Runtime) -> bool:
    """Answer a Chart click (True), or leave any other interaction alone (False)."""
    text = chart_text(interaction)
    if text is None:
        return False
    workspace = workspace_of(interaction)
    # Venice and the drawing may take longer than Discord's 3 s.
    await interaction.response.defer(ephemeral=True, thinking=True)
    request = parse_request(text, datetime.now(UTC).date())
    answer = await runtime.ask(request, workspace_id=workspace, caller=caller_of(interaction))
    chart = answer.card.chart
    if not chartable(answer) or chart is None:
        # No chart now (an error, access changed): the answer itself, privately, no buttons.
        kwargs = sendable(reply_kwargs(answer, text, private=True))
        kwargs.pop("view", None)
        await interaction.followup.send(**kwargs)
        return True
    image = await render_chart_async(chart)
    embed = show_attached(discord.Embed(title=chart.title[:256]), image)
    await interaction.followup.send(
        embed=embed, file=chart_file(image), ephemeral=True, allowed_mentions=ALLOWED_MENTIONS
    )
    return True
