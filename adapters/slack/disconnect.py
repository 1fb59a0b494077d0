"""`/venice disconnect` asks first: an ephemeral Confirm / Cancel before the key is deleted."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from adapters.slack.actions import Ack, Click, Respond, answerable, on_click
from adapters.slack.deps import SlackDeps, workspace_id
from adapters.slack.replies import notice

COMMAND = "disconnect"
CONFIRM = "venice_disconnect_confirm"
CANCEL = "venice_disconnect_cancel"
QUESTION = (
    "Disconnect this workspace's Venice key? It is deleted at once, and billing commands stop "
    "working here until an admin connects a key again."
)
CANCELLED = "Nothing was removed: the Venice key stays connected."


async def confirmation(deps: SlackDeps, team_id: str) -> dict[str, Any]:
    """The question with Confirm / Cancel, or the answer at once when no key is connected."""
    store = (await deps.opened()).store
    if await store.credential_info(workspace_id(team_id)) is None:
        return notice("No Venice key is connected to this workspace; nothing to remove.")
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=QUESTION)),
        ActionsBlock(
            block_id="venice_disconnect",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Disconnect"),
                    action_id=CONFIRM,
                    value=COMMAND,
                    style="danger",
                ),
                ButtonElement(
                    text=PlainTextObject(text="Cancel"), action_id=CANCEL, value="cancel"
                ),
            ],
        ),
    ]
    return {"text": QUESTION, "blocks": [block.to_dict() for block in blocks]}


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Handle Confirm (run `disconnect` as the clicker) and Cancel on APP."""

    async def on_cancel(ack: Ack, respond: Respond, context: dict[str, Any]) -> None:
        await ack()
        if answerable(context, "disconnect cancel"):
            deps.spawn(_cancelled(respond), "disconnect cancelled")

    app.action(CONFIRM)(on_click(deps, _disconnect, "disconnect"))
    app.action(CANCEL)(on_cancel)


async def _cancelled(respond: Respond) -> None:
    await respond(replace_original=True, response_type="ephemeral", **notice(CANCELLED))


async def _disconnect(deps: SlackDeps, click: Click) -> None:
    # The core checks again that the clicker is an admin (they may not be any more).
    answer, _ = await click.ask(deps, COMMAND)
    await click.answer_privately(answer, COMMAND, replace=True)
