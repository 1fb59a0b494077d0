"""A question's two buttons (a Confirm card, e.g. `/venice disconnect`): confirm runs the command
the card names, confirmed, as the clicker (the core checks them again); cancel shows what the
card says a cancel leaves. Whatever the command: its words are the core's."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from adapters.slack.actions import Ack, Click, Respond, answerable, on_click
from adapters.slack.deps import SlackDeps
from adapters.slack.messages import ACTION_CANCEL, ACTION_CONFIRM, cancelled_card
from adapters.slack.render import render_card
from adapters.slack.replies import message_args


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Handle Confirm (run the command in its value, confirmed, as the clicker) and Cancel."""

    async def on_cancel(
        ack: Ack, respond: Respond, action: dict[str, Any], context: dict[str, Any]
    ) -> None:
        await ack()
        if answerable(context, "confirm cancelled"):
            value = str(action.get("value") or "")
            deps.spawn(_cancelled(respond, value), "confirm cancelled")

    app.action(ACTION_CONFIRM)(on_click(deps, _confirmed, "confirm"))
    app.action(ACTION_CANCEL)(on_cancel)


async def _cancelled(respond: Respond, value: str) -> None:
    message = message_args(render_card(cancelled_card(value)))
    await respond(replace_original=True, response_type="ephemeral", **message)


async def _confirmed(deps: SlackDeps, click: Click) -> None:
    # The core checks again that the clicker may run it (they may not be an admin any more).
    answer, _ = await click.ask(deps, click.value, confirmed=True)
    await click.answer_privately(answer, click.value, replace=True)
