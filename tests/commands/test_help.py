"""`help`: lists every registered command, explains one, and corrects a mistyped topic."""

from __future__ import annotations

import pytest

from bot.command_text import parse_command
from bot.commands.help import SPEC as HELP
from bot.errors import CommandTextError
from bot.registry import COMMANDS
from tests.asking import answer_text
from tests.commands.builders import NOW, TODAY, card_strings, context


async def run(text: str):
    invocation = parse_command(text, COMMANDS, TODAY)
    return await HELP.handler(invocation, context(None))


async def test_overview_lists_every_command_with_usage_and_an_example():
    card = await run("help")
    assert card.kind == "help"
    shown = "\n".join(card_strings(card))
    assert [field.label for field in card.fields] == [spec.usage for spec in COMMANDS.values()]
    for spec in COMMANDS.values():
        assert spec.examples[0] in shown
        assert spec.summary.rstrip(".") in shown
    assert "`this-month`" in shown
    assert "`2026-10-01..2026-10-31`" in shown
    assert [command["name"] for command in card.data["commands"]] == list(COMMANDS)


async def test_empty_text_answers_with_the_overview():
    reply = await answer_text("", context(None))
    assert reply.outcome == "answered"
    assert reply.card.kind == "help"
    assert len(reply.card.fields) == len(COMMANDS)


@pytest.mark.parametrize("name", list(COMMANDS))
async def test_one_command_in_detail(name):
    spec = COMMANDS[name]
    card = await run(f"help {name.upper()}")
    assert card.kind == "help"
    shown = "\n".join(card_strings(card))
    assert spec.usage in shown
    for example in spec.examples:
        assert f"`{example}`" in shown
    if spec.details:
        assert spec.details in shown
    assert ("`this-month`" in shown) == ("period" in spec.arguments)
    assert shown.count("`this-month`") <= 1


async def test_usage_help_explains_periods_and_all_examples():
    card = await run("help usage")
    assert card.title == "help: usage"
    shown = "\n".join(card_strings(card))
    assert "`last-month`" in shown
    assert all(f"`{example}`" in shown for example in COMMANDS["usage"].examples)


async def test_help_periods():
    card = await run("help periods")
    shown = "\n".join(card_strings(card))
    for form in ("`usage 30d`", "`usage 2026-10-01..2026-10-31`", "yesterday", "last-month"):
        assert form in shown


@pytest.mark.parametrize(
    ("text", "message", "example"),
    [
        (
            "help usgae",
            "There is no command `usgae` to explain. Did you mean `help usage`?",
            "help usage",
        ),
        (
            "help blance",
            "There is no command `blance` to explain. Did you mean `help balance`?",
            "help balance",
        ),
        (
            "help nonsense",
            "There is no command `nonsense` to explain. Type `help` to list them all.",
            "help",
        ),
        (
            "help \x1b[2j`",
            "There is no command `?[2j?` to explain. Type `help` to list them all.",
            "help",
        ),
    ],
)
async def test_unknown_topic_suggests_the_closest_command(text, message, example):
    with pytest.raises(CommandTextError) as caught:
        await run(text)
    assert caught.value.message == message
    assert caught.value.example == example


async def test_unknown_topic_through_the_core_is_an_invalid_answer():
    reply = await answer_text("help nonsense", context(None, now=NOW))
    assert reply.outcome == "invalid"
    assert reply.card.kind == "error"
    assert "Try: `help`" in (reply.card.summary or "")


async def test_a_key_pasted_as_the_topic_is_not_quoted_back():
    key = "VENICE_ADMIN_KEY_" + "Ab12Cd34" * 3
    reply = await answer_text(f"help {key}", context(None, now=NOW))
    assert reply.outcome == "invalid"
    assert "ab12cd34" not in " ".join(card_strings(reply.card)).lower()
