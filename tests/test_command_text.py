"""Command text to Invocation against the real registry: forms people type, and their mistakes."""

from __future__ import annotations

from datetime import date

import pytest

from bot.command_text import MAX_TEXT, parse_command
from bot.errors import CommandTextError
from bot.registry import COMMANDS

TODAY = date(2026, 11, 22)


def parse(text: str):
    return parse_command(text, COMMANDS, TODAY)


def lookback(invocation) -> str | None:
    return invocation.period.lookback if invocation.period else None


@pytest.mark.parametrize(
    ("text", "command", "period", "limit"),
    [
        ("top-keys 30d 5", "top-keys", "30d", 5),
        ("top-keys 5 30d", "top-keys", "30d", 5),
        ("top-models 7d 20", "top-models", "7d", 20),
        ("top-models 20 7d", "top-models", "7d", 20),
        ("top-keys", "top-keys", "7d", 10),
        ("top-keys 30d", "top-keys", "30d", 10),
        ("top-keys 3", "top-keys", "7d", 3),
        ("top-keys 1", "top-keys", "7d", 1),
        ("top-keys 50", "top-keys", "7d", 50),
        ("top-keys 05", "top-keys", "7d", 5),
        ("usage", "usage", "7d", None),
        ("usage 90d", "usage", "90d", None),
        ("balance", "balance", None, None),
        ("TOP-KEYS 30D 5", "top-keys", "30d", 5),
        ("Usage 30d", "usage", "30d", None),
        ("/venice usage 30d", "usage", "30d", None),
        ("/VENICE top-keys 5", "top-keys", "7d", 5),
        ("venice balance", "balance", None, None),
        ("  usage \t 30d \n", "usage", "30d", None),
    ],
)
def test_commands_and_arguments(text, command, period, limit):
    invocation = parse(text)
    assert invocation.command == command
    assert lookback(invocation) == period
    assert invocation.limit == limit


def test_named_periods_and_ranges_reach_the_invocation():
    invocation = parse("top-models last-month 3")
    assert invocation.period is not None
    assert (invocation.period.start, invocation.period.end) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    assert invocation.limit == 3
    ranged = parse("usage 2026-11-01..2026-11-10")
    assert ranged.period is not None
    assert ranged.period.query() == {"startDate": "2026-11-01", "endDate": "2026-11-10"}


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "/venice", "  /venice  ", "venice"])
def test_empty_text_asks_for_help(text):
    assert parse(text).command == "help"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("help", None),
        ("help usage", "usage"),
        ("help USAGE", "usage"),
        ("help nonsense", "nonsense"),
    ],
)
def test_help_takes_a_topic(text, topic):
    invocation = parse(text)
    assert (invocation.command, invocation.topic) == ("help", topic)


@pytest.mark.parametrize(
    ("text", "message", "example"),
    [
        ("top-keys 0", "N must be between 1 and 50.", "top-keys 30d 20"),
        ("top-keys 51", "N must be between 1 and 50.", "top-keys 30d 20"),
        ("top-models 30d 99999999999999", "N must be between 1 and 50.", "top-models 30d 20"),
        ("top-keys 5 5", "`top-keys` does not take `5` here.", None),
        ("top-keys 30d 7d", "`top-keys` does not take `7d` here.", None),
        ("usage 7d 30d", "`usage` does not take `30d` here.", None),
        ("balance 7d", "`balance` does not take `7d` here.", None),
        ("help usage extra", "`help` does not take `extra` here.", None),
        ("usage 5", "`5` is not a period: write days with a `d`, like `30d`.", "usage 30d"),
        ("usage 0d", "Venice keeps 90 days of usage: choose between 1d and 90d.", "usage 90d"),
        ("usgae 30d", "There is no command `usgae`. Did you mean `usage`?", "usage"),
        ("blance", "There is no command `blance`. Did you mean `balance`?", "balance"),
        ("top-key", "There is no command `top-key`. Did you mean `top-keys`?", "top-keys"),
        ("xyzzy", "There is no command `xyzzy`. Type `help` to see the commands.", "help"),
        ("/venice xyzzy", "There is no command `xyzzy`. Type `help` to see the commands.", "help"),
    ],
)
def test_mistakes_get_one_specific_sentence(text, message, example):
    with pytest.raises(CommandTextError) as caught:
        parse(text)
    assert caught.value.message == message
    if example is not None:
        assert caught.value.example == example
    assert caught.value.example, "every mistake comes with a right example"


@pytest.mark.parametrize(
    "text",
    ["top-keys ²", "top-keys ٣", "top-keys ５", "usage ³d", "usage ٣٠d", "top-keys ½"],
)
def test_unicode_digits_are_refused_not_crashed_on(text):
    with pytest.raises(CommandTextError) as caught:
        parse(text)
    assert "is not a period" in caught.value.message


@pytest.mark.parametrize(
    ("text", "echoed"),
    [
        ("\x1b[2J", "`?[2J`"),
        ("us`age", "`us?age`"),
        ("x" * 100, f"`{'x' * 39}…`"),
        ("rm\u202eexe", "`rm?exe`"),
    ],
)
def test_echoed_text_is_clipped_and_made_safe(text, echoed):
    with pytest.raises(CommandTextError) as caught:
        parse(text)
    assert echoed in caught.value.message
    assert all(ch.isprintable() for ch in caught.value.message)


def test_too_long_text_is_refused_before_parsing():
    with pytest.raises(CommandTextError) as caught:
        parse("usage 30d " + "x" * MAX_TEXT)
    assert caught.value.message == "That command is too long: keep it under 500 characters."


def test_text_at_the_limit_is_still_parsed():
    text = "usage 30d".ljust(MAX_TEXT)
    assert len(text) == MAX_TEXT
    assert lookback(parse(text)) == "30d"


@pytest.mark.parametrize("example", [ex for spec in COMMANDS.values() for ex in spec.examples])
def test_every_registered_example_parses(example):
    assert parse(example).command in COMMANDS


@pytest.mark.parametrize(
    "text",
    ["usage {key}", "top-keys {key}", "usage {key}..2026-11-01", "{key}"],
)
def test_a_key_pasted_in_place_of_an_argument_is_never_quoted_back(text):
    key = "VENICE_ADMIN_KEY_" + "Ab12Cd34" * 3
    with pytest.raises(CommandTextError) as caught:
        parse(text.format(key=key))
    message = caught.value.message
    assert key[:20].lower() not in message.lower()
    assert "Ab12Cd34" not in message
