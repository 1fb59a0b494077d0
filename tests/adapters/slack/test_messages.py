"""What `/venice` posts: the card, and on private reports the period and Share buttons."""

from __future__ import annotations

import json
from typing import Any

import pytest

import tests.commands.test_golden as text_golden
from adapters.slack.messages import (
    ACTION_PERIOD_PREFIX,
    ACTION_SHARE,
    CONTROLS_BLOCK_ID,
    fetching_message,
    reply_message,
)
from bot.cards import Card, Field
from bot.command_spec import Caller, CommandContext
from bot.core import Answer
from bot.deadline import Deadline
from bot.registry import COMMANDS
from tests.adapters.slack.test_render_cases import ask, nothing
from tests.adapters.slack.test_render_limits import assert_within_limits
from tests.asking import answer_text, parsed
from tests.commands.builders import NOW


def controls(message: dict[str, Any]) -> dict[str, Any] | None:
    found = [b for b in message["blocks"] if b.get("block_id") == CONTROLS_BLOCK_ID]
    assert len(found) <= 1
    return found[0] if found else None


def buttons(message: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    block = controls(message)
    assert block is not None
    assert block["type"] == "actions"
    return [(b["action_id"], b["value"], b.get("style")) for b in block["elements"]]


async def test_private_report_offers_periods_keeping_n_and_share():
    reply = await ask("top-keys 30d 5", text_golden.rich)
    message = reply_message(reply, "top-keys 30d 5", private=True)
    assert_within_limits(message)
    assert message["blocks"][-1]["block_id"] == CONTROLS_BLOCK_ID
    assert buttons(message) == [
        (f"{ACTION_PERIOD_PREFIX}7d", "top-keys 7d 5", None),
        (f"{ACTION_PERIOD_PREFIX}30d", "top-keys 30d 5", "primary"),
        (f"{ACTION_PERIOD_PREFIX}90d", "top-keys 90d 5", None),
        (ACTION_SHARE, "top-keys 30d 5", None),
    ]


async def test_default_period_and_limit_are_spelled_out_in_the_buttons():
    reply = await ask("usage", text_golden.rich)
    assert buttons(reply_message(reply, "usage", private=True)) == [
        ("venice_period_7d", "usage 7d", "primary"),
        ("venice_period_30d", "usage 30d", None),
        ("venice_period_90d", "usage 90d", None),
        ("venice_share", "usage", None),
        ("venice_chart", "usage", None),
    ]


async def test_a_period_that_is_no_shortcut_marks_none_as_current():
    reply = await ask("top-models this-month", text_golden.rich)
    found = buttons(reply_message(reply, "top-models  this-month ", private=True))
    assert [style for _, _, style in found] == [None, None, None, None]
    assert found[-1] == ("venice_share", "top-models this-month", None)


async def test_balance_has_share_but_no_periods():
    reply = await ask("balance", text_golden.rich)
    assert buttons(reply_message(reply, "balance", private=True)) == [
        ("venice_share", "balance", None)
    ]


async def test_a_shared_reply_has_no_buttons():
    reply = await ask("top-keys 30d 5", text_golden.rich)
    message = reply_message(reply, "top-keys 30d 5", private=False)
    assert controls(message) is None
    assert all(block["type"] != "actions" for block in message["blocks"])


@pytest.mark.parametrize(
    ("text", "make"),
    [
        ("help", text_golden.rich),
        ("help usage", text_golden.rich),
        ("status", text_golden.rich),
        ("usage 99d", text_golden.rich),
        ("nonsense", text_golden.rich),
        ("balance", nothing),
    ],
)
async def test_help_status_and_errors_stay_private_without_share(text, make):
    reply = await ask(text, make)
    message = reply_message(reply, text, private=True)
    assert_within_limits(message)
    assert controls(message) is None
    assert "venice_share" not in json.dumps(message)


async def test_a_refusal_has_no_share():
    ctx = CommandContext(
        commands=COMMANDS,
        now=NOW,
        deadline=Deadline.after(10),
        source=None,
        caller=Caller("U1", "ann"),
    )
    reply = await answer_text("disconnect", ctx)
    assert reply.outcome == "forbidden"
    message = reply_message(reply, "disconnect", private=True)
    assert controls(message) is None
    assert message["blocks"][0]["text"]["text"].startswith(":warning:")


async def test_the_buttons_still_fit_beside_a_card_of_the_largest_size():
    reply = await ask("top-keys 30d 5", text_golden.rich)
    fields = tuple(Field(f"f{i}", str(i)) for i in range(2000))
    big = Answer(
        Card(title="huge", fields=fields),
        "answered",
        reply.command,
        reply.invocation,
        shareable=reply.shareable,
    )
    message = reply_message(big, "top-keys 30d 5", private=True)
    assert_within_limits(message)
    assert len(message["blocks"]) == 50
    assert message["blocks"][-1]["block_id"] == CONTROLS_BLOCK_ID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("usage 30d", "Fetching usage for the last 30 days from Venice…"),
        ("top-keys 7d 5", "Fetching top-keys for the last 7 days from Venice…"),
        ("top-models this-month", "Fetching top-models for this month from Venice…"),
        (
            "usage 2026-10-01..2026-10-31",
            "Fetching usage for 2026-10-01 to 2026-10-31 from Venice…",
        ),
        ("balance", "Fetching balance from Venice…"),
        ("usage 400d", "Asking Venice…"),
    ],
)
def test_fetching_message_names_the_command_and_period(text, expected):
    message = fetching_message(parsed(text))
    assert message["text"] == expected
    assert expected in message["blocks"][0]["elements"][0]["text"]
    assert_within_limits(message)


def test_fetching_message_never_echoes_what_was_typed():
    secret = "sk-" + "live-" + "abcdef123456"
    for text in (f"connect {secret}", f"<!channel> {secret}", secret):
        message = fetching_message(parsed(text))
        assert secret not in json.dumps(message)
        assert message["text"] == "Asking Venice…"
