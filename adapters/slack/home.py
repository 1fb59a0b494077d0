"""App Home: a per-workspace billing dashboard published when someone opens the bot's Home tab.

Balance with its allocation bar, the last 7 days, top models and keys (each a Card rendered by
the same renderer as replies), the digest schedule, and for admins Connect / Disconnect.
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
from adapters.slack.home_digests import digest_blocks
from adapters.slack.render import render_card
from adapters.slack.replies import message_args
from bot.command_spec import Caller
from bot.command_text import parse_request
from bot.core import Answer

log = logging.getLogger(__name__)

DASHBOARD = ("balance", "usage 7d", "top-models 7d 5", "top-keys 7d 5")
MAX_BLOCKS = 100  # Slack's limit for a Home view
CONNECT = "venice_home_connect"
DISCONNECT = "venice_home_disconnect"

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
        trigger = str(body["trigger_id"])
        deps.spawn(connect_modal.open_modal(client, trigger, channel_id=None), "connect modal")

    async def on_disconnect(
        ack: Ack, body: dict[str, Any], client: AsyncWebClient, context: dict[str, Any]
    ) -> None:
        await ack()
        team = team_of(context, body)
        user_id = str((body.get("user") or {}).get("id"))
        deps.spawn(_disconnect(deps, client, team, user_id), "App Home disconnect")

    app.event("app_home_opened")(on_home_opened)
    app.action(CONNECT)(on_connect)
    app.action(DISCONNECT)(on_disconnect)


async def _disconnect(deps: SlackDeps, client: AsyncWebClient, team: str, user_id: str) -> None:
    caller = await deps.caller(client, team, user_id)
    # Slack already asked "are you sure" (the button's confirm dialog); the core checks admin.
    request = parse_request("disconnect", datetime.now(UTC).date(), confirmed=True)
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
    if caller.is_admin:
        tail.append(_admin_actions(connected))
    if not connected:
        return [*head, _not_connected(caller), *tail]
    today = datetime.now(UTC).date()
    asked = (deps.ask(parse_request(text, today), team_id, caller) for text in DASHBOARD)
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
    blocks: list[Block] = message_args(render_card(answer.card, max_blocks=max_blocks)).get(
        "blocks", []
    )
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


def _admin_actions(connected: bool) -> Block:
    label = "Replace the key" if connected else "Connect a Venice key"
    elements = [button(label, CONNECT, style=None if connected else "primary")]
    if connected:
        confirm = confirm_dialog(
            "Disconnect Venice?",
            "The key is deleted at once; billing commands stop working here until "
            "an admin connects a key again.",
            confirm="Disconnect",
            deny="Cancel",
            style="danger",
        )
        elements.append(button("Disconnect", DISCONNECT, style="danger", confirm=confirm))
    return actions(elements, block_id="venice_home_admin")
