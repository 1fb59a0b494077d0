"""What /readyz reports: the database must answer; a Redis that does not only degrades the bot.

Without Redis the cache falls back to asking Venice directly (bot/cache/guard.py), so the
process can still answer: it stays in the load balancer, marked "degraded".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.runtime import Runtime
from bot.store.database import DatabaseUnavailable

PROBE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether to take traffic (`ready`), and the JSON body that says why."""

    ready: bool
    body: dict[str, Any]


async def check(runtime: Runtime) -> Readiness:
    """Probe the database and the cache concurrently, each within PROBE_SECONDS."""
    database_ok, cache_ok = await asyncio.gather(_database(runtime), _cache(runtime))
    if not database_ok:
        status = "unready"
    elif not cache_ok:
        status = "degraded"
    else:
        status = "ready"
    body = {
        "status": status,
        "database": {"state": "ok" if database_ok else "unreachable"},
        "cache": {
            "backend": runtime.cache.backend_name,
            "state": "ok" if cache_ok else "degraded",
        },
    }
    return Readiness(database_ok, body)


async def _database(runtime: Runtime) -> bool:
    opened = runtime.opened
    if opened is None:
        return False  # `serve` opens the store before it takes requests
    try:
        await asyncio.wait_for(opened.database.ping(), PROBE_SECONDS)
    except (DatabaseUnavailable, TimeoutError, OSError):
        return False
    return True


async def _cache(runtime: Runtime) -> bool:
    try:
        return await asyncio.wait_for(runtime.cache.answers(), PROBE_SECONDS)
    except TimeoutError:
        return False
