"""Small private messages of the Slack adapter itself (not Cards): notices and apologies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError

from adapters.slack.block_json import context, section
from bot.error_cards import STORE_UNAVAILABLE_READING
from bot.errors import StoreUnavailable

PROBLEM_TEXT = (
    "Sorry, something went wrong on the bot's side while answering. Try again in a minute; if it "
    "keeps happening, tell whoever runs the bot."
)


def message_args(message: Mapping[str, Any]) -> dict[str, Any]:
    """The `text` and `blocks` of a message, as keyword arguments for ack(), respond() or chat.*."""
    args: dict[str, Any] = {"text": str(message.get("text") or "")}
    blocks = message.get("blocks")
    if blocks:
        args["blocks"] = [b if isinstance(b, dict) else b.to_dict() for b in blocks]
    return args


def notice(text: str, *, note: str | None = None) -> dict[str, Any]:
    """A one-paragraph private message (TEXT is the bot's own mrkdwn, never Venice's)."""
    blocks: list[dict[str, Any]] = [section(text)]
    if note:
        blocks.append(context([note]))
    return {"text": text, "blocks": blocks}


def problem_message() -> dict[str, Any]:
    """What a user sees when the bot itself failed: no details, they are in the log."""
    return notice(PROBLEM_TEXT)


def store_unavailable_message() -> dict[str, Any]:
    """What a user sees when the bot's database does not answer."""
    return notice(STORE_UNAVAILABLE_READING)


def store_down(error: BaseException | None) -> bool:
    """True when ERROR means the bot's database does not answer (translated or not), not that
    Slack did not answer (its client's errors are network errors too)."""
    if isinstance(error, StoreUnavailable):
        return True
    if error is None or isinstance(error, aiohttp.ClientError | SlackClientError):
        return False
    from bot.store.database import unreachable

    return unreachable(error)
