"""What each command answers when the database does not answer and nothing of the workspace is
known: help as usual, a change "nothing was changed", anything else "cannot answer"."""

from __future__ import annotations

import pytest

from bot.command_text import parse
from bot.core import answer_store_unavailable
from bot.registry import COMMANDS
from tests.commands.builders import NOW, context

# What each command needs of the database; a new command must be added here, which is the point.
NEEDS = {
    "balance": "reads",
    "usage": "reads",
    "top-keys": "reads",
    "top-models": "reads",
    "digest": "changes",
    "alert": "changes",
    "status": "reads",
    "connect": "changes",
    "disconnect": "changes",
    "access": "changes",
    "help": "none",
}


def test_every_command_is_listed():
    assert set(NEEDS) == set(COMMANDS)


@pytest.mark.parametrize("name", list(NEEDS))
async def test_a_command_while_the_database_is_down(name: str):
    reply = await answer_store_unavailable(parse(name, NOW.date()), context(None))
    text = f"{reply.card.title} {reply.card.summary}"
    if NEEDS[name] == "none":
        assert reply.outcome == "answered"
        assert "database" not in text
    else:
        assert reply.outcome == "failed"
        assert "database is unavailable" in text
        assert ("nothing was changed" in text) == (NEEDS[name] == "changes")
