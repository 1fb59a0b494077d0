"""A parsed command, what every adapter hands the core: its name and its arguments."""

from __future__ import annotations

from dataclasses import dataclass

from bot.period import Period


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed command: its name and the arguments it was given (defaults filled in).

    Built once, at the door (bot.command_text.parse); nothing after it reads the command text.
    """

    command: str
    period: Period | None = None
    limit: int | None = None
    topic: str | None = None
    words: tuple[str, ...] = ()
    # True once the person answered the command's own question (a Confirm card's button, or a
    # terminal, where the typed command is its own confirmation); never read from the text.
    confirmed: bool = False
