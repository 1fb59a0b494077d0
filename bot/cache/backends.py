"""The store behind the cache: bytes under string keys with a time to live, and locks with a lease.

One contract (CacheBackend), two implementations: RedisBackend, shared by every process on the
same Redis, and MemoryBackend, this process's alone (REDIS_URL unset). LeaseLock is the one lock
across processes the bot has, over either: the cache's fetch turns (bot/cache/read_through.py)
and Slack's token rotation (adapters/slack/token_rotation.py) both take theirs through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import SecretStr

from bot.deadline import Deadline

if TYPE_CHECKING:
    from redis.asyncio import Redis

T = TypeVar("T")


class CacheBackendError(Exception):
    """The backend did not answer. The message is the underlying error's class name only:
    a Redis error's text may hold the server's address, which must not reach the logs."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class CacheBackend(Protocol):
    """Bytes under string keys with a time to live, and locks with a lease.

    Every method either answers within the backend's own time bound or raises
    CacheBackendError; none retries. TTLs and leases are in seconds (fractions allowed).
    """

    name: str

    async def get(self, key: str) -> bytes | None:
        """The value under KEY, or None when absent or expired."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values under KEYS, in order, in one round trip."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store VALUE under KEY for TTL seconds (replacing any value)."""
        ...

    async def acquire(self, key: str, token: bytes, lease: float) -> bool:
        """Take the lock KEY for LEASE seconds, marked with TOKEN; False when someone holds it."""
        ...

    async def release(self, key: str, token: bytes) -> bool:
        """Free the lock KEY only if it still holds TOKEN (a lease may have expired and been
        taken by another process meanwhile); True when it was ours."""
        ...

    async def aclose(self) -> None:
        """Close connections; the backend is unusable afterwards."""
        ...


def milliseconds(seconds: float) -> int:
    """A TTL in whole milliseconds, at least 1 (Redis refuses 0)."""
    return max(1, round(seconds * 1000))


# Locks


class LeaseLock:
    """One named lock across every process on BACKEND, marked with a token of its own.

    Taken for LEASE seconds (Redis `SET key token NX PX lease`), freed only while it still
    holds the token (a compare-and-delete): a holder that died is released by its lease, and a
    holder whose lease ran out cannot free the lock another process took since. The value under
    KEY is the holder's token, so a waiter can tell one holder from the next.
    """

    def __init__(
        self, backend: CacheBackend, key: str, *, lease: float, token: bytes | None = None
    ) -> None:
        self.backend = backend
        self.key = key
        self.lease = lease
        self.token = token if token is not None else secrets.token_hex(16).encode()

    def __repr__(self) -> str:
        return f"LeaseLock({self.key!r}, lease={self.lease})"

    async def take(self) -> bool:
        """Take the lock now; False when another holder has it."""
        return await self.backend.acquire(self.key, self.token, self.lease)

    async def take_within(self, wait: float, *, pause: float = 0.05) -> bool:
        """Take the lock, trying again every PAUSE seconds for up to WAIT seconds; False when
        it stayed taken that long."""
        deadline = Deadline.after(wait)
        while not await self.take():
            if deadline.expired():
                return False
            await asyncio.sleep(min(pause, deadline.remaining()))
        return True

    async def release(self) -> bool:
        """Free the lock if it is still ours; False when its lease had run out."""
        return await self.backend.release(self.key, self.token)


# In this process


DEFAULT_MAX_ENTRIES = 4096


class MemoryBackend:
    """The in-process backend, used when REDIS_URL is unset: one process, same contract.

    A bounded dict with monotonic-clock expiry; locks are entries that hold their token. When
    full, expired entries go first, then the least recently written: a busy process keeps its
    newest answers instead of growing without limit.
    """

    name = "memory"

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._max_entries = max(1, max_entries)
        self._clock = clock
        # No entry expires before this instant: until then a full cache has nothing expired
        # to look for, and evicting costs no scan of every entry.
        self._next_expiry = math.inf

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        """The value under KEY, or None when absent or expired."""
        return self._live(key)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values under KEYS, in order."""
        return [self._live(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store VALUE under KEY for TTL seconds."""
        self._put(key, value, ttl)

    async def acquire(self, key: str, token: bytes, lease: float) -> bool:
        """Take the lock KEY for LEASE seconds unless a live holder has it."""
        if self._live(key) is not None:
            return False
        self._put(key, token, lease)
        return True

    async def release(self, key: str, token: bytes) -> bool:
        """Free the lock KEY if TOKEN still holds it."""
        if self._live(key) != token:
            return False
        del self._entries[key]
        return True

    async def aclose(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def _live(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        value, expires = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return value

    def _put(self, key: str, value: bytes, ttl: float) -> None:
        self._entries.pop(key, None)
        expires = self._clock() + ttl
        self._entries[key] = (value, expires)
        self._next_expiry = min(self._next_expiry, expires)
        if len(self._entries) > self._max_entries:
            self._evict()

    def _evict(self) -> None:
        now = self._clock()
        if now >= self._next_expiry:
            expired: list[str] = []
            soonest = math.inf
            for key, (_, expires) in self._entries.items():
                if now >= expires:
                    expired.append(key)
                else:
                    soonest = min(soonest, expires)
            for key in expired:
                del self._entries[key]
            self._next_expiry = soonest
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


# On Redis


MAX_CONNECTIONS = 64

# Compare-and-delete: free the lock only while it still holds our token, in one atomic step.
RELEASE_SCRIPT = """
if redis.call("GET", KEYS[1]) == ARGV[1] then
    return redis.call("DEL", KEYS[1])
end
return 0
"""


class RedisBackend:
    """The shared backend on one Redis client (its own connection pool), bounded by a short
    timeout on every call.

    A dead or slow Redis must never add seconds to a command: the client does not retry
    (redis-py would otherwise retry ten times with backoff), every socket operation and every
    whole command is bounded by `timeout`, and every failure surfaces as CacheBackendError for
    the guard to judge. redis-py is imported only when a RedisBackend is made: it costs a CLI
    run without Redis 50 ms.
    """

    name = "redis"

    def __init__(self, client: Redis, *, timeout: float) -> None:
        from redis.exceptions import RedisError

        self._client = client
        self._timeout = timeout
        self._release = client.register_script(RELEASE_SCRIPT)
        self._closing_errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        self._errors = (*self._closing_errors, TimeoutError)

    @classmethod
    def from_url(cls, url: SecretStr, *, timeout: float) -> RedisBackend:
        """A backend for URL (redis://, rediss:// or unix://); connects on first use."""
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

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
        with contextlib.suppress(*self._closing_errors):
            await self._client.aclose()

    async def _bounded(self, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._timeout):
                return await call
        except self._errors as error:
            raise CacheBackendError(type(error).__name__) from None
