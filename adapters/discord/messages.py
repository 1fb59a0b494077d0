"""Discord messages for a reply: the embed, who may be mentioned (nobody), the Share button and,
for a reply with chart data, the Chart button.

`content` is always empty: the embed carries the whole reply (notifications show its title), and
a plain copy above it would say everything twice.
"""

from __future__ import annotations

import io
from typing import Any

import discord
from discord.http import handle_message_parameters

from adapters.discord.render import ALLOWED_MENTIONS, card_embed
from bot.core import Answer
from bot.followups import chartable, shareable
from bot.ports import ChartImage

SHARE_PREFIX = "venice:share:"
SHARE_LABEL = "Share"
CHART_PREFIX = "venice:chart:"
CHART_LABEL = "Chart"
# Discord refuses a longer custom_id; a command text is never cut (it would run another command).
CUSTOM_ID_MAX = 100
CONTENT = ""


def share_custom_id(command_text: str, prefix: str = SHARE_PREFIX) -> str | None:
    """`venice:share:COMMAND_TEXT` (or PREFIX + it), or None when longer than Discord allows."""
    custom_id = prefix + command_text.strip()
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def share_view(answer: Answer, command_text: str) -> discord.ui.View | None:
    """A persistent view with a Share button for a shareable answer (and Chart when it has chart
    data), else None.

    The buttons have no callback: the bot answers their clicks in `on_interaction`, which works
    after a restart too.
    """
    custom_id = share_custom_id(command_text)
    if not shareable(answer) or custom_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(label=SHARE_LABEL, style=discord.ButtonStyle.primary, custom_id=custom_id)
    )
    chart_id = share_custom_id(command_text, CHART_PREFIX)
    if chartable(answer) and chart_id is not None:
        view.add_item(
            discord.ui.Button(
                label=CHART_LABEL, style=discord.ButtonStyle.secondary, custom_id=chart_id
            )
        )
    return view


def reply_kwargs(answer: Answer, command_text: str, *, private: bool) -> dict[str, Any]:
    """Keyword arguments for `interaction.followup.send(**kwargs)`; Share only when private."""
    kwargs: dict[str, Any] = {
        "embed": card_embed(answer.card),
        "ephemeral": private,
        "allowed_mentions": ALLOWED_MENTIONS,
    }
    if private and (view := share_view(answer, command_text)) is not None:
        kwargs["view"] = view
    return kwargs


def reply_payload(answer: Answer, command_text: str) -> dict[str, Any]:
    """The JSON body of the private reply to `/venice COMMAND_TEXT`, exactly as discord.py
    sends it: content, embeds, allowed_mentions, components (when shareable), flags."""
    kwargs = reply_kwargs(answer, command_text, private=True)
    flags = discord.MessageFlags()
    flags.ephemeral = kwargs.pop("ephemeral")
    with handle_message_parameters(content=CONTENT, flags=flags, **kwargs) as params:
        payload: dict[str, Any] = dict(params.payload or {})
    return payload


def chart_file(chart: ChartImage) -> discord.File:
    """The chart as an attachment; its alt text is the attachment's description (screen readers)."""
    return discord.File(io.BytesIO(chart.png), filename=chart.filename, description=chart.alt_text)


def show_attached(embed: discord.Embed, chart: ChartImage) -> discord.Embed:
    """EMBED showing CHART, attached to the same message, as its image."""
    return embed.set_image(url=f"attachment://{chart.filename}")
