"""App Home: a per-workspace billing dashboard published when someone opens the bot's Home tab.

The reports bot/dashboard.py names (each a Card rendered by the same renderer as replies), the
digest schedule, and for admins Connect and the key's removal: its button asks the question the
core's Confirm card asks, and a yes runs the command that card names, confirmed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import connect_modal
from adapters.slack.block_json import (
    Block,
    actions,
    button,
    confirm_dialog,
    divider,
    header,
    section,
)
from adapters.slack.deps import SlackDeps, team_of, workspace_id
from adapters.slack.escape import escape_plain, escape_prose
from adapters.slack.home_digests import digest_blocks
from adapters.slack.render import fit, render_card
from adapters.slack.replies import message_args
from bot.cards import Confirm
from bot.command_spec import Caller
from bot.command_text import parse_request, text_of
from bot.core import Answer
from bot.dashboard import REMOVE_KEY, REPORTS

log = logging.getLogger(__name__)

MAX_BLOCKS = 100  # Slack's limit for a Home view
CONNECT = "venice_home_connect"
CONFIRMED = "venice_home_confirmed"  # value: the command text a yes runs
# Slack's lengths for a confirm dialog's title, text and buttons.
DIALOG_TITLE, DIALOG_TEXT, DIALOG_BUTTON = 100, 300, 30

Ack = Callable[..., Awaitable[Any]]


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Publish the Home view on `app_home_opened`; handle its Connect and Disconnect buttons."""

    async def on_home_opened(
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        if event.get("tab", "home") != "home":
            return  # the Messages tab fires the same event
        team = team_of(context, body)
        deps.spawn(publish(deps, client, team, str(event["user"])), "App Home")

    async def on_connect(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        trigger = body.get("trigger_id")
        if not trigger:  # a modal opens only with the click's trigger (Slack always sends one)
            return
        deps.spawn(connect_modal.open_modal(client, trigger, channel_id=None), "connect modal")

    async def on_confirmed(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        await ack()
        team = team_of(context, body)
        user_id = str((body.get("user") or {}).get("id"))
        text = str(action.get("value") or "")
        deps.spawn(_confirmed(deps, client, team, user_id, text), "App Home confirmed")

    app.event("app_home_opened")(on_home_opened)
    app.action(CONNECT)(on_connect)
    app.action(CONFIRMED)(on_confirmed)


async def _confirmed(
    deps: SlackDeps, client: AsyncWebClient, team: str, user_id: str, text: str
) -> None:
    caller = await deps.caller(client, team, user_id)
    # Slack already asked the card's question (the button's confirm dialog); the core checks
    # again that the clicker may run it.
    request = parse_request(text, datetime.now(UTC).date(), confirmed=True)
    answer = await deps.ask(request, team, caller)
    await publish(deps, client, team, user_id, notice=answer)


async def publish(
    deps: SlackDeps,
    client: AsyncWebClient,
    team_id: str,
    user_id: str,
    *,
    notice: Answer | None = None,
) -> None:
    """Build USER_ID's Home view of TEAM_ID and publish it (views.publish)."""
    caller = await deps.caller(client, team_id, user_id)
    blocks = await home_blocks(deps, team_id, caller, notice=notice)
    await client.views_publish(user_id=user_id, view={"type": "home", "blocks": blocks})


async def refresh(client: AsyncWebClient, deps: SlackDeps, team_id: str, user_id: str) -> None:
    """Publish the Home view again (after a connect from the modal)."""
    try:
        await publish(deps, client, team_id, user_id)
    except Exception as error:  # the key is stored; a stale Home tab is not worth a failure
        log.warning("App Home refresh failed: %s", type(error).__name__)


async def home_blocks(
    deps: SlackDeps, team_id: str, caller: Caller, *, notice: Answer | None = None
) -> list[Block]:
    """The Home view's blocks, at most MAX_BLOCKS."""
    head: list[Block] = [header("Venice billing", emoji=None)]
    if notice is not None:
        head += _card_blocks(notice, 6)
    opened = await deps.opened()
    connected = await opened.store.credential_info(workspace_id(team_id)) is not None
    tail = [divider(), *await digest_blocks(opened, workspace_id(team_id))]
    today = datetime.now(UTC).date()
    if caller.is_admin:
        question = None
        if connected:
            removal = await deps.ask(parse_request(REMOVE_KEY, today), team_id, caller)
            question = removal if isinstance(removal.card.ask, Confirm) else None
        tail.append(_admin_actions(connected, question))
    if not connected:
        return [*head, _not_connected(caller), *tail]
    asked = (deps.ask(parse_request(text, today), team_id, caller) for text in REPORTS)
    answers = await asyncio.gather(*asked)
    if answers[0].outcome == "forbidden":
        answers = answers[:1]  # "admins only" once, not four times
    dividers = len(answers) - 1
    per_card = (MAX_BLOCKS - len(head) - len(tail) - dividers) // len(answers)
    body: list[Block] = []
    for index, answer in enumerate(answers):
        if index:
            body.append(divider())
        body += _card_blocks(answer, per_card)
    return [*head, *body, *tail]


def _card_blocks(answer: Answer, max_blocks: int) -> list[Block]:
    blocks: list[Block] = message_args(
        render_card(answer.card, max_blocks=max_blocks, with_actions=False)
    ).get("blocks", [])
    return blocks[:max_blocks]


def _not_connected(caller: Caller) -> Block:
    who = (
        "Press *Connect a Venice key* below and paste an ADMIN key; it is checked with Venice, "
        "stored encrypted, and never shown to anyone."
        if caller.is_admin
        else "A workspace admin or owner can connect one with `/venice connect`."
    )
    text = f"No Venice key is connected to this workspace yet. {who}"
    return section(text)


def _admin_actions(connected: bool, question: Answer | None) -> Block:
    label = "Replace the key" if connected else "Connect a Venice key"
    elements = [button(label, CONNECT, style=None if connected else "primary")]
    if question is not None and isinstance(confirm := question.card.ask, Confirm):
        card = question.card
        dialog = confirm_dialog(
            fit(card.title, DIALOG_TITLE, escape_plain),
            fit(card.summary or card.title, DIALOG_TEXT, escape_prose),
            confirm=fit(confirm.confirm_label, DIALOG_BUTTON, escape_plain),
            deny=fit(confirm.cancel_label, DIALOG_BUTTON, escape_plain),
            style="danger",
        )
        run = text_of(confirm.run)
        elements.append(button("Disconnect", CONFIRMED, value=run, style="danger", confirm=dialog))
    return actions(elements, block_id="venice_home_admin")
