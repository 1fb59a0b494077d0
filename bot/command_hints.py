"""Hints: the commands the bot's own text tells people to type, and where they type them.

The core writes a command as its bare text in a code span, `usage 30d`, the way the terminal
takes it (`venice-bot ask "usage 30d"`, the demo prompt). Each chat renderer turns such a span
into its platform's form: Slack `/venice usage 30d`, Discord `/venice usage period:30d`. A span
that already starts with `/venice` speaks of chat from elsewhere (the terminal) and keeps its
words; Discord still writes its options. Advice that depends on where the command ran (a new
key goes into VENICE_API_KEY, `venice-bot keys set`, or `connect`) is the core's to choose
(bot/error_cards.py): only the form of a command is the renderer's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.command_spec import CommandSpec
from bot.registry import COMMANDS

CHAT_COMMAND = "/venice"


@dataclass(frozen=True, slots=True)
class NamedCommand:
    """A command named in the bot's text: its spec, the words after its name, and whether the
    text already wrote the chat form (`/venice digest on`)."""

    spec: CommandSpec
    words: tuple[str, ...]
    chat_form: bool = False


def named_command(text: str) -> NamedCommand | None:
    """The command TEXT (a code span's content) names, or None when it names none."""
    words = text.split()
    chat_form = bool(words) and words[0] == CHAT_COMMAND
    if chat_form:
        words = words[1:]
    spec = COMMANDS.get(words[0]) if words else None
    if spec is None:
        return None
    return NamedCommand(spec, tuple(words[1:]), chat_form)
