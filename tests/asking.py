"""Command text answered the way every adapter does it: parsed once at the door, then the core."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.command_spec import CommandContext
from bot.command_text import parse_request
from bot.core import Answer, answer, refused
from bot.errors import CommandTextError
from bot.invocation import Invocation


async def answer_text(text: str, ctx: CommandContext) -> Answer:
    """TEXT parsed as of CTX's day and answered in CTX (a text that does not parse: refused)."""
    request = parse_request(text, ctx.now.date())
    if isinstance(request, CommandTextError):
        return refused(request)
    return await answer(request, ctx)


def parsed(text: str) -> Invocation | CommandTextError:
    """TEXT as an adapter hands it to Runtime.ask: parsed once, as of today (UTC)."""
    return parse_request(text, datetime.now(UTC).date())
