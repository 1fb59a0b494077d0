"""The Slack messages of a reply: the card, its period, Share and Share chart buttons, the
`fetching` notice."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
)

from adapters.slack.escape import escape_mrkdwn
from adapters.slack.render import render_card
from adapters.slack.render_limits import MESSAGE_BLOCKS
from bot import followups
from bot.core import Answer
from bot.errors import CommandTextError
from bot.invocation import Invocation

ACTION_SHARE = "venice_share"
ACTION_CHART = "venice_chart"
ACTION_PERIOD_PREFIX = "venice_period_"
CONTROLS_BLOCK_ID = "venice_controls"
SHARE_LABEL = "Share to channel"
# Slack cannot show an uploaded image to one person: the chart goes to the whole channel, and
# the button says so before anyone clicks it (Share to channel's sibling, not a private view).
CHART_LABEL = "Share chart"
BUTTON_VALUE_CHARS = 2000


def reply_message(answer: Answer, command_text: str, *, private: bool) -> dict[str, Any]:
    """`{"text": ..., "blocks": [...]}` exactly as posted in reply to `/venice COMMAND_TEXT`.

    A private reply to a shareable report also carries the 7d / 30d / 90d buttons and Share,
    and Share chart when it has chart data (`usage`).
    """
    controls = controls_block(answer, command_text) if private else None
    room = MESSAGE_BLOCKS - (1 if controls is not None else 0)
    message = render_card(answer.card, max_blocks=room)
    if controls is not None:
        message["blocks"].append(controls.to_dict())
    return message


def controls_block(answer: Answer, command_text: str) -> ActionsBlock | None:
    """The period buttons, Share and Chart for a shareable answer, else None."""
    if not followups.shareable(answer):
        return None
    buttons = [
        ButtonElement(
            text=choice.label,
            action_id=f"{ACTION_PERIOD_PREFIX}{choice.label}",
            value=choice.text,
            style="primary" if choice.current else None,
        )
        for choice in followups.period_choices(answer)
    ]
    shared = " ".join(command_text.split())
    if shared and len(shared) <= BUTTON_VALUE_CHARS:
        buttons.append(ButtonElement(text=SHARE_LABEL, action_id=ACTION_SHARE, value=shared))
        if followups.chartable(answer):
            buttons.append(ButtonElement(text=CHART_LABEL, action_id=ACTION_CHART, value=shared))
    if not buttons:
        return None
    return ActionsBlock(block_id=CONTROLS_BLOCK_ID, elements=buttons)


def fetching_message(request: Invocation | CommandTextError) -> dict[str, Any]:
    """The acknowledgement while Venice is slow: `Fetching usage for the last 30 days…`.

    Built from the parsed command, never from the raw text, which could hold a pasted key.
    """
    text = fetching_text(request)
    block = ContextBlock(elements=[MarkdownTextObject(text=f":hourglass_flowing_sand: {text}")])
    return {"text": text, "blocks": [block.to_dict()]}


def fetching_text(request: Invocation | CommandTextError) -> str:
    """`Fetching top-keys for the last 7 days from Venice…`, or a general line if unparsable."""
    if not isinstance(request, Invocation):
        return "Asking Venice…"
    invocation = request
    period = invocation.period
    if period is None:
        return escape_mrkdwn(f"Fetching {invocation.command} from Venice…")
    if period.label.startswith("last "):
        when = f"the {period.label}"
    elif ".." in period.label:
        when = period.describe()
    else:
        when = period.label
    return escape_mrkdwn(f"Fetching {invocation.command} for {when} from Venice…")
