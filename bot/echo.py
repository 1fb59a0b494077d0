"""User text quoted back in a reply or an error: secrets masked, one line, short.

Below both the command language (bot/commands/) and the digest times (bot/schedule.py), which
quote what a person typed when they refuse it.
"""

from __future__ import annotations

from bot.logs import redact

MAX_ECHO = 40


def clip_echo(text: str) -> str:
    """User text safe to quote back: secrets masked, one line, no backticks or control
    characters, short."""
    cleaned = "".join(ch if ch.isprintable() and ch != "`" else "?" for ch in redact(text))
    return cleaned if len(cleaned) <= MAX_ECHO else cleaned[: MAX_ECHO - 1] + "…"
