"""Command text answered the way every adapter does it: parsed once at the door, then the core."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.command_spec import CommandContext
from bot.command_text import parse_request
from bot.core import Answer, answer, refused
from bot.errors import CommandTextError
from bot.invocation import Invocation


async def answer_text(text: str, ctx: CommandContext, *, confirmed: bool = False) -> Answer:
    """TEXT parsed as of CTX's day and answered in CTX (a text that does not parse: refused).
    CONFIRMED: as a terminal runs it, or a Confirm button (the command asks nothing first)."""
    request = parse_request(text, ctx.now.date(), confirmed=confirmed)
    if isinstance(request, CommandTextError):
        return refused(request)
    return await answer(request, ctx)


def parsed(text: str, *, confirmed: bool = False) -> Invocation | CommandTextError:
    """TEXT as an adapter hands it to Runtime.ask: parsed once, as of today (UTC); CONFIRMED as
    a terminal or a Confirm button has it."""
    return parse_request(text, datetime.now(UTC).date(), confirmed=confirmed)
