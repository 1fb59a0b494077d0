"""The words of `digest on [HH:MM] [Area/City] [weekdays] [skip-empty]`, recognised by their
shape in any order, and how a schedule is said back to people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.echo import clip_echo
from bot.errors import CommandTextError
from bot.logs import redact
from bot.schedule import (
    EVERY_DAY,
    ScheduleError,
    format_days,
    format_time,
    parse_days,
    parse_time,
    parse_zone,
)

T = TypeVar("T")
DEFAULT_AT = time(9, 0)
SKIP_EMPTY = "skip-empty"
EXAMPLE = "digest on 09:00 Europe/Madrid mon-fri"
MAX_MESSAGE = 300
_DAY_WORDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "daily", "week", "every")


@dataclass(frozen=True, slots=True)
class OnWords:
    """What `digest on` was given; None where a word was left out (the default applies)."""

    at: time | None = None
    time_zone: str | None = None
    weekdays: frozenset[int] | None = None
    skip_empty: bool = False


def parse_on_words(words: tuple[str, ...]) -> OnWords:
    """Read the words after `digest on`; CommandTextError names the one that is wrong."""
    at: time | None = None
    zone: str | None = None
    days: frozenset[int] | None = None
    skip_empty = False
    for word in words:
        lowered = word.lower()
        if lowered == SKIP_EMPTY:
            skip_empty = True
        elif is_time_word(word):
            at = _once(at, "time", partial(parse_time, word))
        elif is_zone_word(word):
            zone = _once(zone, "time zone", partial(parse_zone, word))
        elif lowered.startswith(_DAY_WORDS) or "," in word:
            days = _once(days, "list of weekdays", partial(parse_days, word))
        else:
            raise CommandTextError(
                f"`digest on` does not take `{clip(word)}`: give a time (`09:00`), a time zone "
                "(`Europe/Madrid`), weekdays (`mon-fri`) or `skip-empty`.",
                example=EXAMPLE,
            )
    return OnWords(at, zone, days, skip_empty)


def is_time_word(word: str) -> bool:
    """A word read as the time of day: it starts with a digit (`09:00`, `9`)."""
    return word[:1].isascii() and word[:1].isdigit()


def is_zone_word(word: str) -> bool:
    """A word read as a time zone: an IANA name (`Europe/Madrid`) or `UTC`."""
    return "/" in word or word.lower() == "utc"


def _once(seen: T | None, what: str, parse: Callable[[], T]) -> T:
    if seen is not None:
        raise CommandTextError(f"Give one {what}, not two.", example=EXAMPLE)
    try:
        value = parse()
    except ScheduleError as error:
        raise schedule_text_error(error) from None
    return value


def schedule_text_error(error: ScheduleError) -> CommandTextError:
    """The schedule's own sentence and example, as a command-text error."""
    message = " ".join(error.message.split())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    example = error.example if error.example.startswith("digest ") else EXAMPLE
    return CommandTextError(message, example=example)


def clip(word: str) -> str:
    """A word safe to quote back (no secrets, no control characters, short)."""
    return clip_echo(redact(word))


def days_phrase(days: frozenset[int]) -> str:
    """`every day`, `Mon–Fri`, `Mon, Wed, Fri`."""
    if days == EVERY_DAY:
        return "every day"
    parts = format_days(days).split(",")
    return ", ".join("–".join(day.title() for day in part.split("-")) for part in parts)


def local_and_utc(instant: datetime, zone: str) -> str:
    """`Tue 1 Dec 09:00 (08:00 UTC)`: when a run happens, locally and in UTC."""
    local = instant.astimezone(ZoneInfo(zone))
    utc = instant.astimezone(ZoneInfo("UTC"))
    shown = f"{local:%a} {local.day} {local:%b %H:%M}"
    if zone == "UTC":
        return f"{shown} UTC"
    utc_shown = f"{utc:%H:%M}" if utc.date() == local.date() else f"{utc:%a} {utc:%H:%M}"
    return f"{shown} ({utc_shown} UTC)"


def at_phrase(at: time, zone: str) -> str:
    """`09:00 Europe/Madrid`."""
    return f"{format_time(at)} {zone}"
