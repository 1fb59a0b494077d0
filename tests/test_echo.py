"""Quoting user text back (bot/echo.py): masked, one line, no backticks, at most 40 characters."""

from __future__ import annotations

import pytest

from bot.echo import MAX_ECHO, clip_echo
from bot.logs import MASK


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [
        ("30d", "30d"),
        ("use `rm`", "use ?rm?"),
        ("two\nlines\tand\x00nul", "two?lines?and?nul"),
        ("VENICE_ADMIN_KEY_" + "abc123", MASK),
        ("x" * MAX_ECHO, "x" * MAX_ECHO),
        ("x" * (MAX_ECHO + 1), "x" * (MAX_ECHO - 1) + "…"),
    ],
)
def test_user_text_is_quoted_back_safely(typed: str, quoted: str):
    assert clip_echo(typed) == quoted
