"""Every Block Kit builder gives exactly what slack_sdk's model serialises, key order included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from adapters.slack import block_json

CONFIRM = ConfirmObject(
    title="Disconnect Venice?", text="The key is deleted.", confirm="Yes", deny="No", style="danger"
)
CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("section", block_json.section("*a*"), SectionBlock(text=MarkdownTextObject(text="*a*"))),
    (
        "fields",
        block_json.field_section(["a", "b"]),
        SectionBlock(fields=[MarkdownTextObject(text="a"), MarkdownTextObject(text="b")]),
    ),
    ("context", block_json.context(["a"]), ContextBlock(elements=[MarkdownTextObject(text="a")])),
    (
        "header",
        block_json.header(":x: Title"),
        HeaderBlock(text=PlainTextObject(text=":x: Title", emoji=True)),
    ),
    (
        "header without emoji flag",
        block_json.header("Venice billing", emoji=None),
        HeaderBlock(text=PlainTextObject(text="Venice billing")),
    ),
    ("divider", block_json.divider(), DividerBlock()),
    (
        "actions",
        block_json.actions(
            [
                block_json.button("Connect", "connect", style="primary"),
                block_json.button("Share", "share", value="usage 30d"),
                block_json.button(
                    "Disconnect",
                    "disconnect",
                    style="danger",
                    confirm=block_json.confirm_dialog(
                        "Disconnect Venice?",
                        "The key is deleted.",
                        confirm="Yes",
                        deny="No",
                        style="danger",
                    ),
                ),
            ],
            block_id="admin",
        ),
        ActionsBlock(
            block_id="admin",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Connect"), action_id="connect", style="primary"
                ),
                ButtonElement(
                    text=PlainTextObject(text="Share"), action_id="share", value="usage 30d"
                ),
                ButtonElement(
                    text=PlainTextObject(text="Disconnect"),
                    action_id="disconnect",
                    style="danger",
                    confirm=CONFIRM,
                ),
            ],
        ),
    ),
    (
        "actions without block id",
        block_json.actions([block_json.button("Go", "go")]),
        ActionsBlock(elements=[ButtonElement(text=PlainTextObject(text="Go"), action_id="go")]),
    ),
]


@pytest.mark.parametrize(("name", "built", "model"), CASES, ids=[case[0] for case in CASES])
def test_builder_serialises_as_slack_sdk(name: str, built: dict[str, Any], model: Any) -> None:
    assert json.dumps(built) == json.dumps(model.to_dict())
    parsed = Block.parse(built)
    assert parsed is not None
    assert parsed.to_dict() == built  # and slack_sdk's validation accepts it
