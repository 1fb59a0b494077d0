"""Redis health: after a failure, leave Redis alone for a few seconds, then try it again.

While Redis is skipped, commands are answered straight from Venice (still one call per query
in each process). One warning per minute at most, naming the error class, never the URL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bot.cache.backend import CacheBackend, CacheBackendError
from bot.cache.counters import CacheCounters

log = logging.getLogger(__name__)

T = TypeVar("T")

SKIP_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class CacheSkipped(CacheBackendError):
    """The backend was not asked: it failed moments ago."""

    def __init__(self) -> None:
        super().__init__("skipped")


class GuardedBackend:
    """A CacheBackend that stops calling its inner backend for SKIP seconds after an error."""

    def __init__(
        self,
        inner: CacheBackend,
        counters: CacheCounters,
        *,
        skip_for: float = SKIP_SECONDS,
        warn_every: float = WARN_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = inner.name
        self._inner = inner
        self._counters = counters
        self._skip_for = skip_for
        self._warn_every = warn_every
        self._clock = clock
        self._skip_until = float("-inf")
        self._next_warning = float("-inf")
        self._down = False

    @property
    def healthy(self) -> bool:
        """False while the backend is being skipped after a failure."""
        return not self._down

    async def get(self, key: str) -> bytes | None:
        """The inner backend's get, unless it is being skipped."""
        return await self._call(lambda: self._inner.get(key))

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The inner backend's get_many, unless it is being skipped."""
        return await self._call(lambda: self._inner.get_many(keys))

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """The inner backend's set, unless it is being skipped."""
        await self._call(lambda: self._inner.set(key, value, ttl))

    async def acquire(self, key: str, token: bytes, lease: float) -> bool:
        """The inner backend's acquire, unless it is being skipped."""
        return await self._call(lambda: self._inner.acquire(key, token, lease))

    async def release(self, key: str, token: bytes) -> bool:
        """The inner backend's release, unless it is being skipped."""
        return await self._call(lambda: self._inner.release(key, token))

    async def aclose(self) -> None:
        """Close the inner backend."""
        await self._inner.aclose()

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        if self._clock() < self._skip_until:
            raise CacheSkipped()
        try:
            result = await operation()
        except CacheBackendError as error:
            self._failed(error)
            raise
        if self._down:
            self._down = False
            log.info("%s cache is answering again; using it", self.name.capitalize())
        return result

    def _failed(self, error: CacheBackendError) -> None:
        now = self._clock()
        self._counters.redis_errors += 1
        self._skip_until = now + self._skip_for
        self._down = True
        if now >= self._next_warning:
            self._next_warning = now + self._warn_every
            log.warning(
                "%s cache unavailable (%s); answering straight from Venice and trying it "
                "again in %g s (this warning repeats at most once a minute)",
                self.name.capitalize(), error.kind, self._skip_for,
            )  # fmt: skip
