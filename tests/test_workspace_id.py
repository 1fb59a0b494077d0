"""Workspace ids: `PLATFORM:ID`, validated and normalised; bad input is never quoted back."""

from __future__ import annotations

import pytest

from bot.errors import CommandTextError
from bot.workspace_id import (
    CONSOLE_WORKSPACE,
    InvalidWorkspaceId,
    parse_workspace_id,
    split_workspace_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("slack:T0123ABCD", "slack:T0123ABCD"),
        ("discord:112233445566778899", "discord:112233445566778899"),
        ("console:local", CONSOLE_WORKSPACE),
        ("  Slack:T0123ABCD \n", "slack:T0123ABCD"),
        ("DISCORD:1", "discord:1"),
        ("slack:" + "a" * 64, "slack:" + "a" * 64),
        ("console:my-box_1.local", "console:my-box_1.local"),
    ],
)
def test_valid_ids_are_normalised(text: str, expected: str):
    assert parse_workspace_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "slack",
        ":T0123",
        "slack:",
        "teams:T0123",
        "slack:T01 23",
        "slack:" + "a" * 65,
        "slack:T0123/../x",
        "slack:Tö",
    ],
)
def test_invalid_ids_are_refused_with_examples(text: str):
    with pytest.raises(InvalidWorkspaceId) as caught:
        parse_workspace_id(text)
    assert isinstance(caught.value, CommandTextError)
    assert "slack:T0123ABCD" in caught.value.message
    assert "console:local" in caught.value.message


def test_a_key_pasted_as_a_workspace_id_is_not_echoed():
    pasted = "VENICE_ADMIN_KEY_" + "pastedbymistake0123456789abcdef"
    for text in (pasted, "slack:" + pasted + "!", pasted + ":x", "x" + "y" * 30 + ":" + pasted):
        with pytest.raises(InvalidWorkspaceId) as caught:
            parse_workspace_id(text)
        assert "pastedbymistake" not in str(caught.value)


def test_an_unknown_platform_word_is_named():
    with pytest.raises(InvalidWorkspaceId, match="Unknown platform 'teams'"):
        parse_workspace_id("teams:T0123")


def test_split_gives_platform_and_external_id():
    assert split_workspace_id("Slack:T0123") == ("slack", "T0123")
