"""Whether a signed Slack payload has the shape slack-bolt and the bot's listeners read.

Slack's payloads have fixed shapes; slack-bolt (and the listeners after it) index them without
checking: `actions[0]`, `view["type"]`, `event["user"]`, `.get` on what should be an object.
A payload of another shape (only someone holding the signing secret can send one) would make
them raise, so the front door refuses it first: MALFORMED for a field of the wrong type,
INCOMPLETE for a payload that needs a workspace and a person and names none that is a Slack id.
Fields the bot never reads are not looked at.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

Problem = Literal["malformed", "incomplete"]
MALFORMED: Problem = "malformed"
INCOMPLETE: Problem = "incomplete"

# Slack ids (T0123ABCD, E0123, U0123, W0123): letters and digits.
SLACK_ID = re.compile(r"[A-Za-z0-9]{1,64}")
# Payloads from a person in a workspace: they must name both.
INTERACTIVE_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
        "workflow_step_edit",
    }
)
# Every payload: optional text fields read by Bolt or the listeners.
_TOP_TEXT = ("type", "command", "text", "user_name", "channel_id", "trigger_id", "response_url",
             "team_id", "enterprise_id", "api_app_id", "callback_id", "action_id")  # fmt: skip
_TOP_OBJECTS = ("channel", "container", "message", "state", "workflow_step")


def shape_problem(body: Mapping[str, Any], team: Any, user: Any) -> Problem | None:
    """Why BODY cannot be handed to Bolt (its workspace TEAM and person USER as Bolt read
    them), or None when it can."""
    if not all(_optional(body, key, str) for key in _TOP_TEXT):
        return MALFORMED
    if not all(_optional(body, key, dict) for key in _TOP_OBJECTS):
        return MALFORMED
    if "event" in body and not isinstance(body["event"], dict):  # Bolt reads event.bot_id
        return MALFORMED
    if not (_person(body.get("user")) and _team(body.get("team"))):
        return MALFORMED
    if not _answer_url(body.get("response_url")):
        return MALFORMED
    if "command" in body:  # a slash command
        named = _slack_id(body.get("team_id")) and _slack_id(body.get("user_id"))
        return None if named else INCOMPLETE
    kind = body.get("type")
    if kind in ("block_actions", "interactive_message") and not _actions(body.get("actions")):
        return MALFORMED
    if kind in ("view_submission", "view_closed") and not _view(body.get("view")):
        return MALFORMED
    if kind == "workflow_step_edit" and not isinstance(body.get("workflow_step"), dict):
        return MALFORMED
    if kind in INTERACTIVE_TYPES:
        return None if _slack_id(team) and _slack_id(user) else INCOMPLETE
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _event(event):
            return MALFORMED
        if not _slack_id(team):
            return INCOMPLETE
        if event.get("type") == "app_home_opened" and not _slack_id(event.get("user")):
            return INCOMPLETE
    return None


def _optional(mapping: Mapping[str, Any], key: str, *kinds: type) -> bool:
    """KEY is absent from MAPPING, null, or of one of KINDS."""
    value = mapping.get(key)
    return value is None or isinstance(value, kinds)


def _answer_url(value: Any) -> bool:
    """`response_url`: absent, or an absolute http(s) URL (where Bolt's respond() posts)."""
    if value is None:
        return True
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is not None and parts.scheme in ("https", "http") and bool(parts.hostname)


def _slack_id(value: Any) -> bool:
    return isinstance(value, str) and SLACK_ID.fullmatch(value) is not None


def _person(user: Any) -> bool:
    """`user`: absent, a user id, or an object whose id and names are text."""
    if user is None or isinstance(user, str):
        return True
    return isinstance(user, dict) and all(
        _optional(user, key, str) for key in ("id", "name", "username", "team_id")
    )


def _team(team: Any) -> bool:
    if team is None or isinstance(team, str):
        return True
    return isinstance(team, dict) and all(_optional(team, key, str) for key in ("id", "domain"))


def _actions(actions: Any) -> bool:
    """At least one action, each an object with a text `action_id` (Bolt reads `actions[0]`)."""
    return (
        isinstance(actions, list)
        and bool(actions)
        and all(
            isinstance(action, dict)
            and isinstance(action.get("action_id"), str)
            and all(_optional(action, key, str) for key in ("block_id", "value", "type"))
            for action in actions
        )
    )


def _view(view: Any) -> bool:
    """A view with a text `type` and `callback_id`; its state values objects of objects."""
    if not (
        isinstance(view, dict)
        and isinstance(view.get("type"), str)
        and isinstance(view.get("callback_id"), str)
        and all(_optional(view, key, str) for key in ("id", "private_metadata", "hash"))
        and _optional(view, "state", dict)
    ):
        return False
    values = (view.get("state") or {}).get("values")
    if values is None:
        return True
    return isinstance(values, dict) and all(
        isinstance(block, dict) and all(isinstance(action, dict) for action in block.values())
        for block in values.values()
    )


def _event(event: Any) -> bool:
    """An event object with a text `type`; the fields the listeners read of the right type."""
    if not (isinstance(event, dict) and isinstance(event.get("type"), str)):
        return False
    if not _optional(event, "tab", str):
        return False
    tokens = event.get("tokens")
    if tokens is None:
        return True
    return isinstance(tokens, dict) and all(
        value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        for value in (tokens.get("bot"), tokens.get("oauth"))
    )
