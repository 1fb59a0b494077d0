"""The small key-value contract the billing cache needs; Redis and an in-process store fulfil it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


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
