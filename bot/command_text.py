"""Turns command text (what follows `/venice`) into an Invocation, or one clear sentence why not.

This is the door: every adapter calls `parse` (or `parse_request`) once per command it receives
and hands the Invocation on; nothing after it reads or splits the command text again.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from datetime import date

from bot.command_options import DEFAULT_LIMIT, MAX_LIMIT
from bot.command_spec import CommandSpec
from bot.echo import clip_echo
from bot.errors import CommandTextError, PastedSecret
from bot.invocation import Invocation
from bot.logs import redact
from bot.period import DEFAULT_PERIOD, parse_period
from bot.registry import COMMANDS

MAX_TEXT = 500


def parse(text: str, today: date) -> Invocation:
    """Parse TEXT against the bot's commands (CommandTextError, PastedSecret: why not)."""
    return parse_command(text, COMMANDS, today)


def parse_request(
    text: str, today: date, *, confirmed: bool = False
) -> Invocation | CommandTextError:
    """TEXT parsed, or why it does not parse, as a value: what an adapter hands Runtime.ask
    (which answers a refusal as "invalid", counted and logged like any other command).
    CONFIRMED: the person already said yes (a terminal, where the typed command is its own
    confirmation; a button Slack asked about first), so the command does not ask again."""
    try:
        invocation = parse(text, today)
    except CommandTextError as error:
        return error
    return dataclasses.replace(invocation, confirmed=True) if confirmed else invocation


def text_of(invocation: Invocation) -> str:
    """Command text that parses back to INVOCATION (all but `confirmed`, which no text carries):
    what a button stores to run it again, `top-keys 2026-10-01..2026-10-31 5`."""
    words = [invocation.command]
    period = invocation.period
    if period is not None:
        words.append(period.lookback or f"{period.start.isoformat()}..{period.end.isoformat()}")
    if invocation.limit is not None:
        words.append(str(invocation.limit))
    if invocation.topic is not None:
        words.append(invocation.topic)
    words.extend(invocation.words)
    return " ".join(words)


def parse_command(text: str, commands: Mapping[str, CommandSpec], today: date) -> Invocation:
    """Parse TEXT against COMMANDS. Empty text asks for help. A refusal names the command the
    text began with, when there is one (`error.command`, for log lines)."""
    try:
        return _parse(text, commands, today)
    except CommandTextError as error:
        words = text.split()
        if words and words[0].lower() in ("/venice", "venice"):
            words = words[1:]
        named = words[0].lower() if words else None
        error.command = named if named in commands else None
        raise


def _parse(text: str, commands: Mapping[str, CommandSpec], today: date) -> Invocation:
    words = text.split()
    if words and words[0].lower() in ("/venice", "venice"):
        words = words[1:]
    # Checked before anything else, however long: text after `connect` may be a key.
    secret_spec = commands.get(words[0].lower()) if words else None
    if secret_spec is not None and secret_spec.secret_input and len(words) > 1:
        raise PastedSecret()
    if len(text) > MAX_TEXT:
        raise CommandTextError(
            f"That command is too long: keep it under {MAX_TEXT} characters.", example="usage 30d"
        )
    if not words:
        return Invocation("help")
    name, args = words[0].lower(), words[1:]
    spec = commands.get(name)
    if spec is None:
        raise _unknown(words[0], commands)
    if "words" in spec.arguments:
        # A small grammar of its own (`digest on 09:00 Europe/Madrid`): the handler reads it.
        return Invocation(spec.name, words=tuple(args))
    period_text: str | None = None
    limit: int | None = None
    topic: str | None = None
    for arg in args:
        if "topic" in spec.arguments and topic is None:
            topic = arg.lower()
        elif "limit" in spec.arguments and limit is None and _is_number(arg):
            limit = _limit(arg, spec)
        elif "period" in spec.arguments and period_text is None and not _is_number(arg):
            period_text = arg
        elif "period" in spec.arguments and period_text is None and "limit" not in spec.arguments:
            raise CommandTextError(
                f"`{_clip(arg)}` is not a period: write days with a `d`, like `30d`.",
                example=f"{spec.name} 30d",
            )
        else:
            raise CommandTextError(
                f"`{spec.name}` does not take `{_clip(arg)}` here.",
                example=spec.examples[0] if spec.examples else spec.usage,
            )
    period = None
    if "period" in spec.arguments:
        period = parse_period(period_text or DEFAULT_PERIOD, today)
    if "limit" in spec.arguments and limit is None:
        limit = DEFAULT_LIMIT
    return Invocation(spec.name, period=period, limit=limit, topic=topic)


def _is_number(arg: str) -> bool:
    # ASCII only: str.isdigit() is also true for superscripts, which int() cannot read.
    return arg.isascii() and arg.isdigit()


def _limit(arg: str, spec: CommandSpec) -> int:
    value = int(arg) if len(arg) <= 4 else MAX_LIMIT + 1
    if not 1 <= value <= MAX_LIMIT:
        raise CommandTextError(
            f"N must be between 1 and {MAX_LIMIT}.", example=f"{spec.name} 30d 20"
        )
    return value


def _unknown(word: str, commands: Mapping[str, CommandSpec]) -> CommandTextError:
    close = difflib.get_close_matches(word.lower(), list(commands), n=1, cutoff=0.6)
    hint = f" Did you mean `{close[0]}`?" if close else " Type `help` to see the commands."
    return CommandTextError(
        f"There is no command `{_clip(word)}`.{hint}", example=close[0] if close else "help"
    )


def _clip(word: str) -> str:
    # A key pasted in the wrong place (`VENICE_ADMIN_KEY_...` as a command) is not quoted back.
    return clip_echo(redact(word))
