"""Discord messages for a reply: the embed, who may be mentioned (nobody), the card's own action
buttons (an alert's Snooze / Ack / Balance), the Share button and, for a reply with chart data,
the Chart button. Every button keeps its command text in its custom id, so it works after a
restart; none has a callback: the bot answers them in `on_interaction`.

`content` is always empty: the embed carries the whole reply (notifications show its title), and
a plain copy above it would say everything twice.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord.http import handle_message_parameters

from adapters.discord.render import ALLOWED_MENTIONS, ELLIPSIS, card_embed
from bot.cards import Card
from bot.core import Answer
from bot.followups import chartable, shareable
from bot.layout.text import sanitise_line
from bot.ports import ChartImage

log = logging.getLogger(__name__)

SHARE_PREFIX = "venice:share:"
SHARE_LABEL = "Share"
CHART_PREFIX = "venice:chart:"
CHART_LABEL = "Chart"
# Discord refuses a longer custom_id; a command text is never cut (it would run another command).
CUSTOM_ID_MAX = 100
# A card's action buttons (Card.actions): the prefix, then the command text the click runs.
RUN_PREFIX = "venice:run:"
BUTTON_LABEL_MAX = 80
BUTTONS_PER_ROW = 5
ROWS = 5
CONTENT = ""


def share_custom_id(command_text: str, prefix: str = SHARE_PREFIX) -> str | None:
    """`venice:share:COMMAND_TEXT` (or PREFIX + it), or None when longer than Discord allows."""
    custom_id = prefix + command_text.strip()
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX else None


def share_buttons(answer: Answer, command_text: str) -> list[discord.ui.Button[Any]]:
    """Share for a shareable answer (and Chart when it has chart data), else none."""
    custom_id = share_custom_id(command_text)
    if not shareable(answer) or custom_id is None:
        return []
    buttons: list[discord.ui.Button[Any]] = [
        discord.ui.Button(label=SHARE_LABEL, style=discord.ButtonStyle.primary, custom_id=custom_id)
    ]
    chart_id = share_custom_id(command_text, CHART_PREFIX)
    if chartable(answer) and chart_id is not None:
        buttons.append(
            discord.ui.Button(
                label=CHART_LABEL, style=discord.ButtonStyle.secondary, custom_id=chart_id
            )
        )
    return buttons


def share_view(answer: Answer, command_text: str) -> discord.ui.View | None:
    """A persistent view with a Share button for a shareable answer (and Chart when it has chart
    data), else None.

    The buttons have no callback: the bot answers their clicks in `on_interaction`, which works
    after a restart too.
    """
    return _view([], share_buttons(answer, command_text))


def action_buttons(card: Card) -> list[discord.ui.Button[Any]]:
    """The card's actions as buttons: `venice:run:COMMAND_TEXT`, answered in `on_interaction`
    (adapters/discord/actions.py). One whose custom id would be longer than Discord allows is
    left out (a cut command would run another one), and a repeated command shown once (Discord
    refuses a message with two equal custom ids)."""
    buttons: list[discord.ui.Button[Any]] = []
    seen: set[str] = set()
    for action in card.actions:
        command = " ".join(action.command.split())
        custom_id = share_custom_id(command, RUN_PREFIX) if command else None
        if custom_id is None:
            log.warning(
                "discord: left out the %r button: its command is %d characters (Discord takes "
                "1 to %d with the prefix)",
                sanitise_line(action.label)[:40],
                len(command),
                CUSTOM_ID_MAX - len(RUN_PREFIX),
            )
            continue
        if custom_id in seen:
            continue
        seen.add(custom_id)
        label = " ".join(sanitise_line(action.label).split()) or command
        if len(label) > BUTTON_LABEL_MAX:
            label = label[: BUTTON_LABEL_MAX - 1].rstrip() + ELLIPSIS
        buttons.append(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id)
        )
    return buttons


def reply_view(answer: Answer, command_text: str, *, private: bool) -> discord.ui.View | None:
    """The buttons under a reply: the card's actions, then Share (and Chart) when PRIVATE and
    shareable; None when there are none."""
    followups = share_buttons(answer, command_text) if private else []
    return _view(action_buttons(answer.card), followups)


def card_view(card: Card) -> discord.ui.View | None:
    """The card's action buttons alone (a scheduled post), or None."""
    return _view(action_buttons(card), [])


def _view(
    offered: list[discord.ui.Button[Any]], followups: list[discord.ui.Button[Any]]
) -> discord.ui.View | None:
    """A persistent view: OFFERED in rows of 5, FOLLOWUPS in a row of their own under them,
    within Discord's 5 rows (actions past them are left out, logged)."""
    if not offered and not followups:
        return None
    room = (ROWS - (1 if followups else 0)) * BUTTONS_PER_ROW
    if len(offered) > room:
        log.warning("discord: left out %d buttons: a message holds %d", len(offered) - room, room)
        offered = offered[:room]
    view = discord.ui.View(timeout=None)
    for index, item in enumerate(offered):
        item.row = index // BUTTONS_PER_ROW
        view.add_item(item)
    below = -(-len(offered) // BUTTONS_PER_ROW)  # the rows the actions took
    for item in followups:
        item.row = below
        view.add_item(item)
    return view


def reply_kwargs(answer: Answer, command_text: str, *, private: bool) -> dict[str, Any]:
    """Keyword arguments for `interaction.followup.send(**kwargs)`: the card's action buttons,
    and Share only when private."""
    kwargs: dict[str, Any] = {
        "embed": card_embed(answer.card),
        "ephemeral": private,
        "allowed_mentions": ALLOWED_MENTIONS,
    }
    if (view := reply_view(answer, command_text, private=private)) is not None:
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
