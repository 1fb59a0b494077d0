"""The connect modal: an admin pastes the workspace's Venice key where nobody else can see it.

The key travels only in the view_submission payload: it is registered as a secret at once, never
echoed, never put in `private_metadata` (which holds only where to confirm), and the modal is
replaced on success so Slack keeps no view state with it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.block_json import context, section
from adapters.slack.deps import SlackDeps, team_of, workspace_id
from adapters.slack.messages import reply_message
from adapters.slack.render import render_card
from adapters.slack.replies import message_args, notice
from bot.cards import Card, SecretPrompt
from bot.commands.connect import key_prompt
from bot.core import Answer
from bot.deadline import Deadline
from bot.key_connection import connect_key
from bot.logs import register_secret

log = logging.getLogger(__name__)

CALLBACK_ID = "venice_connect"
KEY_BLOCK = "venice_key"
KEY_ACTION = "key"
# Slack waits 3 s for a view_submission answer and the key must be checked live with Venice
# first: past this budget the check gives up and the admin is told to try again.
SUBMIT_BUDGET = 2.3
MODAL_BLOCKS = 100
MODAL_TITLE_CHARS = 24  # Slack's limit for a modal's title
OPENED_TEXT = (
    "I opened a private window for the Venice key: paste it there. It is checked with Venice, "
    "stored encrypted, and never shown to anyone."
)

AfterConnect = Callable[[AsyncWebClient, str, str], Awaitable[None]]
Ack = Callable[..., Awaitable[Any]]


def _plain(text: str) -> dict[str, str]:
    return {"text": text, "type": "plain_text"}


def connect_view(prompt: SecretPrompt, *, channel_id: str | None) -> dict[str, Any]:
    """The modal asking for PROMPT's secret: one input. `private_metadata` names only where to
    confirm."""
    key_input = {
        "block_id": KEY_BLOCK,
        "element": {
            "action_id": KEY_ACTION,
            "max_length": 500,
            "placeholder": _plain("Paste the key"),
            "type": "plain_text_input",
        },
        "hint": _plain(prompt.hint),
        "label": _plain(f"{prompt.label} (not shown to anyone)"),
        "type": "input",
    }
    return {
        "blocks": [
            section(
                "Billing commands in this workspace will use this key. It is checked with "
                "Venice, then stored encrypted."
            ),
            key_input,
            context(["Never paste a key in a channel: a key seen there must be revoked."]),
        ],
        "callback_id": CALLBACK_ID,
        "close": _plain("Cancel"),
        "private_metadata": json.dumps({"channel": channel_id}),
        "submit": _plain("Connect"),
        "title": _plain(prompt.title[:MODAL_TITLE_CHARS]),
        "type": "modal",
    }


async def open_modal(
    client: AsyncWebClient,
    trigger_id: str,
    *,
    channel_id: str | None,
    prompt: SecretPrompt | None = None,
) -> bool:
    """Open the connect modal for TRIGGER_ID (valid 3 s after the click); False if Slack refused.
    PROMPT: what the card asked for (App Home's button: the connect command's own prompt)."""
    view = connect_view(prompt or key_prompt(None), channel_id=channel_id)
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
        log.warning("views.open for the connect modal failed: %s", _slack_error(error))
        return False
    return True


async def open_for_prompt(
    client: AsyncWebClient,
    answer: Answer,
    prompt: SecretPrompt,
    text: str,
    trigger_id: str | None,
    channel_id: str | None,
) -> dict[str, Any]:
    """Open the modal a card asks for (PROMPT); the private reply says so, or why not."""
    if trigger_id and await open_modal(client, trigger_id, channel_id=channel_id, prompt=prompt):
        return notice(OPENED_TEXT)
    # The card's own text explains the other way in (`venice-bot keys set`).
    return reply_message(answer, text, private=True)


def register(app: AsyncApp, deps: SlackDeps, after_connect: AfterConnect | None = None) -> None:
    """Handle the modal's submission on APP; AFTER_CONNECT refreshes e.g. the App Home."""

    async def on_submit(
        ack: Ack,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        key = SecretStr(_submitted_key(view))
        register_secret(key)
        team = team_of(context, body)
        user = body.get("user") or {}
        user_id = str(user.get("id"))
        caller = await deps.caller(client, team, user_id, str(user.get("name") or ""))
        opened = await deps.opened()
        result = await connect_key(
            opened.store,
            deps.runtime.venice,
            workspace_id(team),
            key,
            caller,
            Deadline.after(SUBMIT_BUDGET),
        )
        if not result.ok:
            await ack(response_action="errors", errors={KEY_BLOCK: refusal_text(result.card)})
            return
        await ack(response_action="update", view=done_view(result.card))
        channel = _origin_channel(view)
        after = _after(client, result.card, team, user_id, channel, after_connect)
        deps.spawn(after, "connect confirmation")

    app.view(CALLBACK_ID)(on_submit)


async def _after(
    client: AsyncWebClient,
    card: Card,
    team: str,
    user_id: str,
    channel_id: str | None,
    after_connect: AfterConnect | None,
) -> None:
    await confirm(client, card, user_id, channel_id)
    if after_connect is not None:
        await after_connect(client, team, user_id)


def refusal_text(card: Card) -> str:
    """The inline error under the key input: why it was not stored and what to do instead."""
    return card.summary or card.title


def done_view(card: Card) -> dict[str, Any]:
    """The modal after success: the stored key's description (fingerprint only), no input."""
    message = render_card(card, max_blocks=MODAL_BLOCKS, with_actions=False)
    return {
        "blocks": message_args(message).get("blocks", []),
        "callback_id": f"{CALLBACK_ID}_done",
        "close": _plain("Done"),
        "title": _plain("Venice connected"),
        "type": "modal",
    }


async def confirm(client: AsyncWebClient, card: Card, user_id: str, channel_id: str | None) -> None:
    """Tell the admin privately: an ephemeral message where they ran `/venice`, else a DM."""
    message = message_args(render_card(card))
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
            return
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.info("connect confirmation in %s failed (%s); sending a DM", channel_id, error)
    try:
        await client.chat_postMessage(channel=user_id, **message)
    except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
        log.warning("connect confirmation DM failed: %s", _slack_error(error))


def _submitted_key(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    value = (values.get(KEY_BLOCK) or {}).get(KEY_ACTION) or {}
    return str(value.get("value") or "")


def _origin_channel(view: dict[str, Any]) -> str | None:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return None
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    return str(channel) if channel else None


def _slack_error(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", "error"))
    return type(error).__name__
