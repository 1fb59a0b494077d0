"""A command the bot's text names (`usage 30d`, bot/command_hints.py) as it is typed on Discord:
`/venice usage period:30d`. Discord's slash commands take named options, not free words, so a
hint written for Slack or the terminal would not work if typed here.

Each word goes to the option the command declares for it (`CommandSpec.options`, read as the
core reads them), the same options the `/venice` group registers (adapters/discord/commands.py).
"""

from __future__ import annotations

from bot.command_hints import CHAT_COMMAND, named_command
from bot.command_options import options_of_words


def slash_form(text: str) -> str:
    """TEXT as typed in Discord when it names a command; any other text as it is."""
    named = named_command(text)
    if named is None:
        return text
    typed = options_of_words(named.spec.options, named.words)
    options = [f"{name}:{value}" if name else value for name, value in typed]
    return " ".join([CHAT_COMMAND, named.spec.name, *options])
