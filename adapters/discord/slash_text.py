"""A command the bot's text names (`usage 30d`, bot/command_hints.py) as it is typed on Discord:
`/venice usage period:30d`. Discord's slash commands take named options, not free words, so a
hint written for Slack or the terminal would not work if typed here.

The option names are those of the `/venice` group (adapters/discord/commands.py); a test checks
them against the registered payload.
"""

from __future__ import annotations

from bot.command_hints import CHAT_COMMAND, named_command

PERIOD = "period"
LIMIT = "n"
# The one word `help` and `access` take, by the name Discord offers it under.
TOPIC = {"help": "command", "access": "who"}
DIGEST_ACTION, DIGEST_TIME, DIGEST_ZONE, DIGEST_DAYS, DIGEST_SKIP = (
    "action",
    "time",
    "timezone",
    "days",
    "skip_empty",
)
SKIP_EMPTY_WORD = "skip-empty"


def slash_form(text: str) -> str:
    """TEXT as typed in Discord when it names a command; any other text as it is."""
    named = named_command(text)
    if named is None:
        return text
    spec, words = named.spec, named.words
    if spec.arguments == ("words",):
        options = _digest_options(words)
    elif spec.arguments == ("topic",):
        options = [f"{TOPIC.get(spec.name, 'topic')}:{word}" for word in words[:1]] + [*words[1:]]
    else:
        options = [_period_or_limit(word, spec.arguments) for word in words]
    return " ".join([CHAT_COMMAND, spec.name, *options])


def _period_or_limit(word: str, arguments: tuple[str, ...]) -> str:
    if "limit" in arguments and word.isascii() and word.isdigit():
        return f"{LIMIT}:{word}"
    if "period" in arguments:
        return f"{PERIOD}:{word}"
    return word


def _digest_options(words: tuple[str, ...]) -> list[str]:
    """`digest on 08:30 Europe/Madrid mon-fri skip-empty`: the action, then each word by its
    shape, as the core reads them (bot/digest/words.py)."""
    if not words:
        return []
    options = [f"{DIGEST_ACTION}:{words[0]}"]
    for word in words[1:]:
        if word.lower() == SKIP_EMPTY_WORD:
            options.append(f"{DIGEST_SKIP}:True")
        elif word[:1].isascii() and word[:1].isdigit():
            options.append(f"{DIGEST_TIME}:{word}")
        elif "/" in word or word.lower() == "utc":
            options.append(f"{DIGEST_ZONE}:{word}")
        else:
            options.append(f"{DIGEST_DAYS}:{word}")
    return options
