"""What /readyz reports: 200 while the process can answer commands, 503 only before it can.

A database or a Redis that does not answer only degrades the bot, and /readyz says which:
without Redis the cache asks Venice directly (bot/cache/read_through.py); without the database,
commands answer from this process's last read of each workspace (bot/store/workspaces.py) and
say the database is unavailable for the others, and nothing is scheduled or posted until it is
back. Taking every replica out of the load balancer at once when the shared database goes
away would turn those answers into Slack's bare "dispatch_failed" for everyone.

    {"status": "ready" | "degraded" | "unready",
     "database": {"state": "ok" | "unreachable"},
     "cache": {"backend": ..., "state": "ok" | "degraded"},
     "digests": {"state": "on" | "paused" | "off"}}
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot.runtime import Runtime
from bot.store.database import DatabaseUnavailable, unreachable

PROBE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether to take traffic (`ready`), and the JSON body that says why."""

    ready: bool
    body: dict[str, Any]


async def check(runtime: Runtime) -> Readiness:
    """Probe the database and the cache concurrently, each within PROBE_SECONDS."""
    database_ok, cache_ok = await asyncio.gather(_database(runtime), _cache(runtime))
    opened = runtime.opened is not None  # `serve` opens the store before it takes requests
    if not opened:
        status = "unready"
    elif not (database_ok and cache_ok):
        status = "degraded"
    else:
        status = "ready"
    runtime.metrics.database_reachable.set(1 if database_ok else 0)
    scheduler = runtime.settings.digest_scheduler == "on"
    digests = "off" if not scheduler else ("on" if database_ok else "paused")
    body = {
        "status": status,
        "database": {"state": "ok" if database_ok else "unreachable"},
        "cache": {
            "backend": runtime.cache.backend_name,
            "state": "ok" if cache_ok else "degraded",
        },
        "digests": {"state": digests},
    }
    return Readiness(opened, body)


async def _database(runtime: Runtime) -> bool:
    opened = runtime.opened
    if opened is None:
        return False  # `serve` opens the store before it takes requests
    try:
        await asyncio.wait_for(opened.database.ping(), PROBE_SECONDS)
    except (DatabaseUnavailable, TimeoutError, OSError):
        return False
    except Exception as error:  # a driver error of a database that is going away
        if unreachable(error):
            return False
        raise
    return True


async def _cache(runtime: Runtime) -> bool:
    try:
        return await asyncio.wait_for(runtime.cache.answers(), PROBE_SECONDS)
    except TimeoutError:
        return False
