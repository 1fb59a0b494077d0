"""Workspace ids: `PLATFORM:ID`, validated and normalised; bad input is never quoted back. And
the one step from a workspace's stored key to its billing source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.deadline import Deadline
from bot.errors import CommandTextError, KeyUnreadable
from bot.logs import redact
from bot.secrets import SecretUnreadable
from bot.venice.source import BillingSource
from bot.venice.static_source import StaticBillingSource
from bot.workspaces import (
    CONSOLE_WORKSPACE,
    InvalidWorkspaceId,
    UnreadableKey,
    parse_workspace_id,
    split_workspace_id,
    workspace_source,
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


@dataclass(frozen=True)
class Stored:
    key: SecretStr | None
    unreadable: Exception | None = None


def test_a_stored_key_becomes_its_source_and_is_masked_in_logs():
    # Spelled in two parts so that no tracked file holds a whole key-shaped string.
    key = SecretStr("VENICE_ADMIN_KEY_" + "stored0123456789abcdef")
    asked: list[tuple[SecretStr, str]] = []
    upstream = StaticBillingSource(datetime(2026, 12, 1, tzinfo=UTC))

    def source_for(given: SecretStr, tenant: str) -> BillingSource | None:
        asked.append((given, tenant))
        return upstream

    assert workspace_source(Stored(key), "slack:T1", source_for) is upstream
    assert asked == [(key, "slack:T1")]
    assert "stored0123456789" not in redact(f"oops {key.get_secret_value()}")


def test_no_stored_key_is_no_source():
    def source_for(given: SecretStr, tenant: str) -> BillingSource | None:
        raise AssertionError("no key: nothing to ask")

    assert workspace_source(Stored(None), "slack:T1", source_for) is None


async def test_an_unreadable_key_is_a_source_that_says_so(caplog: pytest.LogCaptureFixture):
    def source_for(given: SecretStr, tenant: str) -> BillingSource | None:
        raise AssertionError("unreadable: nothing to ask")

    source = workspace_source(Stored(None, SecretUnreadable("slack:T1")), "slack:T1", source_for)

    assert isinstance(source, UnreadableKey)
    with pytest.raises(KeyUnreadable, match="can no longer be read"):
        await source.balance(Deadline.after(1))
    assert "workspace slack:T1: stored key unreadable" in caplog.text
