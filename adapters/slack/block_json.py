"""Block Kit as plain JSON dicts, exactly as slack_sdk's models serialise them: the one way the
Slack adapter builds blocks.

slack_sdk's `to_dict()` validates every object by walking `dir()` on each one, which cost a
digest more CPU than the rest of its rendering. The renderer keeps within every limit itself
(adapters/slack/render.py), and the tests parse each block back with slack_sdk to check it
(tests/adapters/slack/test_block_json.py compares every builder here with slack_sdk's model).
Keys are in slack_sdk's order (sorted, but for a confirm dialog's, in
slack_sdk's own order); unset keys (block_id, verbatim, style) are left out as slack_sdk leaves
them out. Texts must not be empty: slack_sdk would drop an empty `text` key, and Slack refuses
empty texts anyway.
"""

from __future__ import annotations

from typing import Any, Literal

Block = dict[str, Any]
Style = Literal["primary", "danger"]


def mrkdwn(text: str) -> dict[str, str]:
    """A mrkdwn text object."""
    return {"text": text, "type": "mrkdwn"}


def plain_text(text: str, *, emoji: bool | None = None) -> dict[str, Any]:
    """A plain_text object; EMOJI set says whether emoji codes are shown as emoji."""
    if emoji is None:
        return {"text": text, "type": "plain_text"}
    return {"emoji": emoji, "text": text, "type": "plain_text"}


def header(text: str, *, emoji: bool | None = True) -> Block:
    """A header block: plain text, with emoji codes shown as emoji unless EMOJI is None."""
    return {"text": plain_text(text, emoji=emoji), "type": "header"}


def section(text: str) -> Block:
    """A section block of one mrkdwn text."""
    return {"text": mrkdwn(text), "type": "section"}


def field_section(texts: list[str]) -> Block:
    """A section block of mrkdwn fields, shown in two columns."""
    return {"fields": [mrkdwn(text) for text in texts], "type": "section"}


def context(texts: list[str]) -> Block:
    """A context block of mrkdwn elements, in small grey type."""
    return {"elements": [mrkdwn(text) for text in texts], "type": "context"}


def divider() -> Block:
    """A divider block: a thin line between parts of a view."""
    return {"type": "divider"}


def confirm_dialog(
    title: str, text: str, *, confirm: str, deny: str, style: Style | None = None
) -> dict[str, Any]:
    """The "are you sure" dialog a button opens before its action is sent."""
    dialog: dict[str, Any] = {
        "title": plain_text(title, emoji=True),
        "text": mrkdwn(text),
        "confirm": plain_text(confirm, emoji=True),
        "deny": plain_text(deny, emoji=True),
    }
    if style is not None:
        dialog["style"] = style
    return dialog


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    style: Style | None = None,
    confirm: dict[str, Any] | None = None,
    emoji: bool | None = None,
) -> dict[str, Any]:
    """A button element; VALUE comes back with the click, CONFIRM is a confirm_dialog, EMOJI as
    in plain_text (slack_sdk's ButtonElement given a str label sets it)."""
    element: dict[str, Any] = {"action_id": action_id}
    if confirm is not None:
        element["confirm"] = confirm
    if style is not None:
        element["style"] = style
    element |= {"text": plain_text(text, emoji=emoji), "type": "button"}
    if value is not None:
        element["value"] = value
    return element


def actions(elements: list[dict[str, Any]], *, block_id: str | None = None) -> Block:
    """An actions block: a row of buttons."""
    block: Block = {} if block_id is None else {"block_id": block_id}
    return block | {"elements": elements, "type": "actions"}
