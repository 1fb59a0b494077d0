"""The shared cache backend on Redis (redis.asyncio), bounded by a short timeout on every call.

A dead or slow Redis must never add seconds to a command: the client does not retry (redis-py
would otherwise retry ten times with backoff), every socket operation and every whole command
is bounded by `timeout`, and every failure surfaces as CacheBackendError for the guard to judge.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

from pydantic import SecretStr
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from bot.cache.backend import CacheBackendError, milliseconds

T = TypeVar("T")

MAX_CONNECTIONS = 64

# Compare-and-delete: free the lock only while it still holds our token, in one atomic step.
RELEASE_SCRIPT = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class RedisBackend:
    """CacheBackend on one Redis client (its own connection pool)."""

    name = "redis"

    def __init__(self, client: Redis, *, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._release = client.register_script(RELEASE_SCRIPT)

    @classmethod
    def from_url(cls, url: SecretStr, *, timeout: float) -> RedisBackend:
        """A backend for URL (redis://, rediss:// or unix://); connects on first use."""
        # A blocking pool: past MAX_CONNECTIONS a call waits (within the timeout) for a free
        # connection instead of failing, which the guard would take for Redis being down.
        pool = BlockingConnectionPool.from_url(
            url.get_secret_value(),
            max_connections=MAX_CONNECTIONS,
            timeout=timeout,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        return cls(Redis.from_pool(pool), timeout=timeout)

    def __repr__(self) -> str:
        return f"RedisBackend(timeout={self._timeout})"

    async def get(self, key: str) -> bytes | None:
        """GET key."""
        value: Any = await self._bounded(self._client.get(key))
        return bytes(value) if value is not None else None

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """MGET keys."""
        values: Any = await self._bounded(self._client.mget(list(keys)))
        return [bytes(value) if value is not None else None for value in values]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """SET key value PX ttl."""
        await self._bounded(self._client.set(key, value, px=milliseconds(ttl)))

    async def acquire(self, key: str, token: bytes, lease: float) -> bool:
        """SET key token NX PX lease."""
        taken: Any = await self._bounded(
            self._client.set(key, token, nx=True, px=milliseconds(lease))
        )
        return bool(taken)

    async def release(self, key: str, token: bytes) -> bool:
        """Delete key only while it holds token (a Lua compare-and-delete)."""
        deleted: Any = await self._bounded(self._release(keys=[key], args=[token]))
        return bool(deleted)

    async def aclose(self) -> None:
        """Close the connection pool."""
        # Closing a connection to a dead server has nothing left to do.
        with contextlib.suppress(RedisError, OSError):
            await self._client.aclose()

    async def _bounded(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except (RedisError, OSError, TimeoutError) as error:
            raise CacheBackendError(type(error).__name__) from None
