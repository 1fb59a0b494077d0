"""A command's declared options carry every word its examples use, and back: a hint shown in
Discord's form (`usage period:30d`), typed there, reaches the core as the same command text."""

from __future__ import annotations

import pytest

from bot.command_options import options_of_words, text_of_options
from bot.registry import COMMANDS

EXAMPLES = [(spec.name, example) for spec in COMMANDS.values() for example in spec.examples]


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_each_example_goes_through_the_options_and_back(name, example):
    spec = COMMANDS[name]
    words = tuple(example.split()[1:])
    named = options_of_words(spec.options, words)
    assert all(option for option, _ in named), f"a word of `{example}` has no option: {named}"
    values = {option: (True if value == "True" else value) for option, value in named}
    assert text_of_options(name, spec.options, values) == example


def test_digest_words_go_to_their_options_by_shape_in_any_order():
    spec = COMMANDS["digest"]
    words = ("on", "skip-empty", "mon-fri", "Europe/Madrid", "08:30")
    assert options_of_words(spec.options, words) == [
        ("action", "on"),
        ("skip_empty", "True"),
        ("days", "mon-fri"),
        ("timezone", "Europe/Madrid"),
        ("time", "08:30"),
    ]
    # Typed back in the declared order, the core reads the same schedule.
    assert text_of_options(
        "digest",
        spec.options,
        {
            "action": "on",
            "time": "08:30",
            "timezone": "Europe/Madrid",
            "days": "mon-fri",
            "skip_empty": True,
        },
    ) == ("digest on 08:30 Europe/Madrid mon-fri skip-empty")


def test_a_number_is_the_limit_and_anything_else_the_period():
    spec = COMMANDS["top-keys"]
    assert options_of_words(spec.options, ("5",)) == [("n", "5")]
    assert options_of_words(spec.options, ("30d", "5")) == [("period", "30d"), ("n", "5")]
    # A word no option takes is left as typed (the core explains it).
    assert options_of_words(spec.options, ("30d", "7d")) == [("period", "30d"), ("", "7d")]


def test_options_left_empty_or_flags_left_off_are_not_written():
    spec = COMMANDS["digest"]
    assert (
        text_of_options("digest", spec.options, {"action": None, "skip_empty": False}) == "digest"
    )
