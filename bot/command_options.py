"""A command's arguments as named options: what a platform with typed options offers (Discord's
`/venice top-keys period:30d n:5`), declared beside each command (`CommandSpec.options`).

Each option says its name, what it means, what it takes (text, a whole number in a range, or a
flag), its choices or the suggestions to offer, and how a typed word is recognised as it. That
is enough to build the options generically and to turn either form into the other:

- options to text: `text_of_options(spec, values)` is the command text the core parses
  (`top-keys 30d 5`), so every platform shares one parser and one set of rules;
- text to options: `options_of_words(spec, words)` names each typed word's option, so a hint the
  bot writes (`usage 30d`) can be shown as it is typed on Discord (`usage period:30d`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.period import DEFAULT_PERIOD

OptionKind = Literal["text", "integer", "flag"]
# What a platform may suggest while the option is typed: period forms, or IANA time zones.
Suggestions = Literal["periods", "time_zones"]

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
PERIOD_MAX_LENGTH = 32  # the longest period form, `2026-10-01..2026-10-31`, is 22


def _any_word(word: str) -> bool:
    return True


def _whole_number(word: str) -> bool:
    return word.isascii() and word.isdigit()


@dataclass(frozen=True, slots=True)
class Option:
    """One thing a command takes, by the name a platform offers it under."""

    name: str
    description: str
    kind: OptionKind = "text"
    # The only values it takes, offered as a list.
    choices: tuple[str, ...] = ()
    # The registry's command names come first among the choices (`help command:usage`).
    choices_of_commands: bool = False
    suggest: Suggestions | None = None
    max_length: int = 100  # text
    minimum: int | None = None  # integer
    maximum: int | None = None
    # A flag: the word that turns it on (`skip-empty`).
    flag_word: str = ""
    # Whether a typed word is this option's (read in the declared order, flags first).
    typed_as: Callable[[str], bool] = _any_word
    # It takes the rest of the words too (`alert on usd below 25`: `rule:usd below 25`).
    rest: bool = False

    def accepts(self, word: str) -> bool:
        """Whether WORD, typed after the command's name, is this option's."""
        if self.kind == "flag":
            return word.lower() == self.flag_word
        if self.choices and not self.choices_of_commands:
            return word.lower() in self.choices
        return self.typed_as(word)


PERIOD = Option(
    "period",
    (
        "7d, 30d, 90d, this-month, last-month, today, yesterday or YYYY-MM-DD..YYYY-MM-DD "
        f"(default {DEFAULT_PERIOD})"
    ),
    suggest="periods",
    max_length=PERIOD_MAX_LENGTH,
    typed_as=lambda word: not _whole_number(word),
)
LIMIT = Option(
    "n",
    f"How many to show, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT})",
    kind="integer",
    minimum=1,
    maximum=MAX_LIMIT,
    typed_as=_whole_number,
)


def text_of_options(name: str, options: tuple[Option, ...], values: Mapping[str, object]) -> str:
    """The command text for VALUES given by option name: `top-keys 30d 5` (options left empty
    are left out; a flag set is its word)."""
    words = [name]
    for option in options:
        value = values.get(option.name)
        if value is None or value is False:
            continue
        words.append(option.flag_word if option.kind == "flag" else str(value).strip())
    return " ".join(word for word in words if word)


def options_of_words(options: tuple[Option, ...], words: tuple[str, ...]) -> list[tuple[str, str]]:
    """Each typed word with the name of the option it is (`""` for a word no option takes),
    read as the core reads them: flags by their word, then each word as the first option not
    yet given that takes it."""
    named: list[tuple[str, str]] = []
    given: set[str] = set()
    ordered = sorted(options, key=lambda option: option.kind != "flag")
    for at, word in enumerate(words):
        option = next((o for o in ordered if o.name not in given and o.accepts(word)), None)
        if option is None:
            named.append(("", word))
            continue
        given.add(option.name)
        if option.rest:
            named.append((option.name, " ".join(words[at:])))
            break
        named.append((option.name, "True" if option.kind == "flag" else word))
    return named
