"""The in-process cache backend, used when REDIS_URL is unset: one process, same contract."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

DEFAULT_MAX_ENTRIES = 4096


class MemoryBackend:
    """A bounded dict with monotonic-clock expiry. Locks are entries that hold their token.

    When full, expired entries go first, then the least recently written: a busy process
    keeps its newest answers instead of growing without limit.
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
