"""Block Kit blocks as plain JSON dicts, exactly as slack_sdk's models serialise them.

slack_sdk's `to_dict()` validates every object by walking `dir()` on each one, which cost a
digest more CPU than the rest of its rendering. The renderer keeps within every limit itself
(render_limits), and the tests parse each block back with slack_sdk to check it, so the blocks
are written directly here. Keys are in slack_sdk's order (sorted); unset keys (block_id,
verbatim) are left out as slack_sdk leaves them out. Texts must not be empty: slack_sdk would
drop an empty `text` key, and Slack refuses empty texts anyway.
"""

from __future__ import annotations

from typing import Any, Literal

Block = dict[str, Any]


def mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object."""
    return {"text": text, "type": "mrkdwn"}


def header(text: str) -> Block:
    """A header block: plain text, with emoji codes shown as emoji."""
    return {"text": {"emoji": True, "text": text, "type": "plain_text"}, "type": "header"}


def section(text: str) -> Block:
    """A section block of one mrkdwn text."""
    return {"text": mrkdwn(text), "type": "section"}


def field_section(texts: list[str]) -> Block:
    """A section block of mrkdwn fields, shown in two columns."""
    return {"fields": [mrkdwn(text) for text in texts], "type": "section"}


def context(texts: list[str]) -> Block:
    """A context block of mrkdwn elements, in small grey type."""
    return {"elements": [mrkdwn(text) for text in texts], "type": "context"}


def button(
    text: str, action_id: str, value: str, *, style: Literal["primary", "danger"] | None = None
) -> Block:
    """A button element: plain-text label (emoji shown), the action it sends and its value."""
    element: Block = {"action_id": action_id}
    if style is not None:
        element["style"] = style
    element["text"] = {"emoji": True, "text": text, "type": "plain_text"}
    element.update({"type": "button", "value": value})
    return element


def actions(block_id: str, elements: list[Block]) -> Block:
    """An actions block: a row of buttons."""
    return {"block_id": block_id, "elements": elements, "type": "actions"}
