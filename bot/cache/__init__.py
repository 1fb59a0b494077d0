"""The billing cache: Venice answers shared by every request and every process (issue 3).

Build one BillingCache per process (`BillingCache.from_settings`) and wrap each tenant's Venice
source with `cache.source(tenant, key, upstream)`. With REDIS_URL the entries, locks and failure
notes live in Redis and every process shares them; without it they live in this process.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from bot.cache.backend import CacheBackend, CacheBackendError
from bot.cache.counters import CacheCounters
from bot.cache.freshness import FreshnessPolicy, utc_now
from bot.cache.guard import GuardedBackend
from bot.cache.keys import DEFAULT_NAMESPACE, TenantKeys
from bot.cache.memory import MemoryBackend
from bot.cache.near import NearCache
from bot.cache.read_through import ReadThrough
from bot.cache.source import CachedBillingSource
from bot.settings import Settings
from bot.venice.source import BillingSource

__all__ = [
    "BillingCache",
    "CacheBackend",
    "CacheBackendError",
    "CacheCounters",
    "CachedBillingSource",
    "FreshnessPolicy",
    "GuardedBackend",
    "MemoryBackend",
]


class BillingCache:
    """The process's cache of Venice billing answers, for every tenant."""

    def __init__(
        self,
        backend: CacheBackend,
        *,
        fingerprint_secret: bytes,
        policy: FreshnessPolicy,
        flight_budget: float,
        counters: CacheCounters | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        clock: Callable[[], datetime] = utc_now,
        near: NearCache | None = None,
    ) -> None:
        if not fingerprint_secret:
            raise ValueError("the cache needs a fingerprint secret")
        self._backend = backend
        self._secret = fingerprint_secret
        self._policy = policy
        self._namespace = namespace
        self._counters = counters if counters is not None else CacheCounters()
        self._read_through = ReadThrough(
            backend, self._counters, flight_budget=flight_budget, clock=clock, near=near
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        fingerprint_secret: bytes,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> BillingCache:
        """Redis when REDIS_URL is set (guarded: a failing Redis is skipped for a few seconds),
        else in-process. Nothing connects until the first request."""
        counters = CacheCounters()
        backend: CacheBackend
        if settings.redis_url is None:
            backend = MemoryBackend()
        else:
            # Imported only when used: redis-py costs a CLI run without Redis 50 ms.
            from bot.cache.redis_backend import RedisBackend

            redis = RedisBackend.from_url(settings.redis_url, timeout=settings.redis_timeout)
            backend = GuardedBackend(redis, counters)
        policy = FreshnessPolicy.of(
            balance_ttl=settings.balance_ttl,
            usage_ttl=settings.usage_ttl,
            stale_for=settings.stale_for,
        )
        return cls(
            backend,
            fingerprint_secret=fingerprint_secret,
            policy=policy,
            flight_budget=settings.request_budget,
            counters=counters,
            namespace=namespace,
        )

    def __repr__(self) -> str:
        return f"BillingCache(backend={self._backend.name!r}, namespace={self._namespace!r})"

    @property
    def counters(self) -> CacheCounters:
        """What the cache did since start-up (for /metrics)."""
        return self._counters

    @property
    def backend_name(self) -> str:
        """`redis` or `memory`."""
        return self._backend.name

    async def answers(self) -> bool:
        """True when the backend answers a read now (the in-process one always does): /readyz."""
        try:
            await self._backend.get(f"{self._namespace}:health")
        except CacheBackendError:
            return False
        return True

    def source(self, tenant: str, key: SecretStr, upstream: BillingSource) -> BillingSource:
        """UPSTREAM (the billing source of KEY) answered through the cache, under TENANT."""
        keys = TenantKeys.build(self._namespace, tenant, self._secret, key)
        return CachedBillingSource(self._read_through, keys, upstream, self._policy)

    async def aclose(self) -> None:
        """Stop flights still running and close the backend's connections."""
        await self._read_through.aclose()
        await self._backend.aclose()
