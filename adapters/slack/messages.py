"""The Slack messages of a reply: the card (with its own action buttons, drawn by render.py), its
period, Share and Share chart buttons, the buttons of a question (a Confirm card), the
`fetching` notice. Block Kit as plain dicts
(block_json)."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack.block_json import Block, actions, button, context
from adapters.slack.escape import escape_mrkdwn
from adapters.slack.render import BUTTON_VALUE_CHARS, MESSAGE_BLOCKS, render_card
from bot import followups
from bot.cards import Card, Confirm
from bot.command_text import text_of
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
# A question's two buttons (any command's Confirm card): confirm runs the command text in the
# value, confirmed, as the clicker; cancel shows the card in its value instead of the question.
ACTION_CONFIRM = "venice_confirm"
ACTION_CANCEL = "venice_cancel"
CONFIRM_BLOCK_ID = "venice_confirm"


def reply_message(answer: Answer, command_text: str, *, private: bool) -> dict[str, Any]:
    """`{"text": ..., "blocks": [...]}` exactly as posted in reply to `/venice COMMAND_TEXT`.

    A private reply to a shareable report also carries the 7d / 30d / 90d buttons and Share,
    and Share chart when it has chart data (`usage`).
    """
    ask = answer.card.ask
    if isinstance(ask, Confirm):
        controls: Block | None = confirm_block(ask)
    else:
        controls = controls_block(answer, command_text) if private else None
    room = MESSAGE_BLOCKS - (1 if controls is not None else 0)
    message = render_card(answer.card, max_blocks=room)
    if controls is not None:
        message["blocks"].append(controls)
    return message


def confirm_block(confirm: Confirm) -> Block:
    """The question's buttons: confirm (runs `confirm.run`), cancel (shows `confirm.cancelled`)."""
    cancelled = json.dumps({"title": confirm.cancelled.title, "summary": confirm.cancelled.summary})
    return actions(
        [
            button(
                confirm.confirm_label,
                ACTION_CONFIRM,
                value=text_of(confirm.run),
                style="danger",
                emoji=True,
            ),
            button(
                confirm.cancel_label,
                ACTION_CANCEL,
                value=cancelled[:BUTTON_VALUE_CHARS],
                emoji=True,
            ),
        ],
        block_id=CONFIRM_BLOCK_ID,
    )


def cancelled_card(value: str) -> Card:
    """What a cancelled question becomes: the card its cancel button carries."""
    try:
        said = json.loads(value)
    except ValueError:
        said = None
    if not isinstance(said, dict):
        said = {}
    title = str(said.get("title") or "Nothing was changed")
    return Card(title=title, kind="help", summary=str(said.get("summary") or "") or None)


def controls_block(answer: Answer, command_text: str) -> Block | None:
    """The period buttons, Share and Chart for a shareable answer, else None."""
    if not followups.shareable(answer):
        return None
    buttons = [
        button(
            choice.label,
            f"{ACTION_PERIOD_PREFIX}{choice.label}",
            value=choice.text,
            style="primary" if choice.current else None,
            emoji=True,
        )
        for choice in followups.period_choices(answer)
    ]
    shared = " ".join(command_text.split())
    if shared and len(shared) <= BUTTON_VALUE_CHARS:
        buttons.append(button(SHARE_LABEL, ACTION_SHARE, value=shared, emoji=True))
        if followups.chartable(answer):
            buttons.append(button(CHART_LABEL, ACTION_CHART, value=shared, emoji=True))
    if not buttons:
        return None
    return actions(buttons, block_id=CONTROLS_BLOCK_ID)


def fetching_message(request: Invocation | CommandTextError) -> dict[str, Any]:
    """The acknowledgement while Venice is slow: `Fetching usage for the last 30 days…`.

    Built from the parsed command, never from the raw text, which could hold a pasted key.
    """
    text = fetching_text(request)
    return {"text": text, "blocks": [context([f":hourglass_flowing_sand: {text}"])]}


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
