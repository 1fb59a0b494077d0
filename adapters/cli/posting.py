"""What the CLI's posting commands share (`digest run-due`, `alert check`): the instant they
run at (`--now`), and a runtime that can post to every configured platform, closed after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.runtime import Runtime

NOW_HELP = "--now takes an ISO-8601 instant, like 2026-12-01T08:00:00Z."


def parse_instant(text: str) -> datetime | None:
    """An ISO-8601 instant, UTC when it names no offset; None when it cannot be read."""
    try:
        instant = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def instant_of(now_text: str | None) -> datetime | None:
    """The instant `--now` names, or now without it; None when it cannot be read."""
    return datetime.now(UTC) if now_text is None else parse_instant(now_text)


@asynccontextmanager
async def posting_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """The process's runtime over the workspace store, with a poster for each platform that is
    configured; the posters and the runtime are closed on the way out."""
    from adapters.posters import build_posters, close_posters
    from bot.runtime import Runtime

    runtime = Runtime.build(settings)
    try:
        opened = await runtime.open_store()
        runtime.posters.update(build_posters(settings, opened))
        try:
            yield runtime
        finally:
            await close_posters(runtime.posters)
    finally:
        await runtime.aclose()
