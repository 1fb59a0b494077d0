"""`/venice TEXT`: acknowledged within Slack's 3 seconds whatever Venice does.

The answer is computed in a task. When it is ready within ACK_WINDOW (a cache hit, or a fast
Venice) it goes in the acknowledgement itself; otherwise Slack gets "Fetching ..." at once and
the answer replaces it through the command's `response_url` when it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import connect_modal
from adapters.slack.deps import SlackDeps, team_of
from adapters.slack.messages import fetching_message, reply_message
from adapters.slack.replies import (
    message_args,
    notice,
    problem_message,
    store_down,
    store_unavailable_message,
)
from bot.cards import SecretPrompt
from bot.command_text import parse_request
from bot.errors import CommandTextError
from bot.invocation import Invocation

log = logging.getLogger(__name__)

COMMAND = "/venice"
# How long the acknowledgement waits for the answer. A cache hit takes milliseconds, so this
# only decides how long a cold answer may take to still arrive in the ack; anything slower is
# acknowledged with "Fetching ..." at once. Kept well under Slack's 3 s and under 1 s for users.
# (Listeners run inline, so the ack leaves as soon as this listener returns: see app.py.)
ACK_WINDOW = 0.6

Message = dict[str, Any]
# When `serve` stops before a slow answer is ready (it waits a few seconds for it).
STOPPED_TEXT = "The bot restarted before this answer was ready. Ask again in a moment."
STOPPED_NOTICE_SECONDS = 1.0


def register(app: AsyncApp, deps: SlackDeps) -> None:
    """Listen for `/venice` on APP."""

    async def on_command(
        ack: Callable[..., Awaitable[Any]],
        respond: Callable[..., Awaitable[Any]],
        command: dict[str, Any],
        client: AsyncWebClient,
        context: dict[str, Any],
    ) -> None:
        text = str(command.get("text") or "").strip()
        request = parse_request(text, datetime.now(UTC).date())  # once: nothing re-reads the text
        task = asyncio.create_task(_reply(deps, client, request, text, command, context))
        done, _ = await asyncio.wait({task}, timeout=ACK_WINDOW)
        if task in done:
            await ack(response_type="ephemeral", **message_args(_result(task)))
            return
        await ack(response_type="ephemeral", **message_args(fetching_message(request)))
        deps.spawn(_deliver(task, respond), "/venice reply")

    app.command(COMMAND)(on_command)


async def _deliver(task: asyncio.Task[Message], respond: Callable[..., Awaitable[Any]]) -> None:
    """Replace "Fetching ..." with the answer once it is ready (through the response_url); when
    the bot stops before it is, with a sentence saying to ask again."""
    try:
        await asyncio.wait({task})
    except asyncio.CancelledError:
        task.cancel()
        with contextlib.suppress(Exception):
            stopped = message_args(notice(STOPPED_TEXT))
            await asyncio.wait_for(
                respond(replace_original=True, response_type="ephemeral", **stopped),
                STOPPED_NOTICE_SECONDS,
            )
        raise
    message = message_args(_result(task))
    await respond(replace_original=True, response_type="ephemeral", **message)


def _result(task: asyncio.Task[Message]) -> Message:
    """The task's message; an unexpected error becomes a private apology, logged once."""
    error = task.exception()
    if error is None:
        return task.result()
    if store_down(error):
        # The database failed outside the core's own answer: one line, no traceback.
        log.warning("/venice: the database is unavailable (%s)", type(error).__name__)
        return store_unavailable_message()
    log.error("/venice failed: %s", type(error).__name__, exc_info=error)
    return problem_message()


async def _reply(
    deps: SlackDeps,
    client: AsyncWebClient,
    request: Invocation | CommandTextError,
    text: str,
    command: dict[str, Any],
    context: dict[str, Any],
) -> Message:
    """The private reply to REQUEST (TEXT as typed, for the Share button): the answer (a
    question with its buttons, when the card asks one), or the modal the card asks for."""
    team = team_of(context, command)
    caller = await deps.caller(client, team, str(command["user_id"]), command.get("user_name", ""))
    channel = command.get("channel_id")
    answer = await deps.ask(request, team, caller, channel_id=str(channel) if channel else None)
    if isinstance(answer.card.ask, SecretPrompt):
        return await connect_modal.open_for_prompt(
            client, answer, answer.card.ask, text, command.get("trigger_id"), channel
        )
    return reply_message(answer, text, private=True)
