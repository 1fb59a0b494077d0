"""The billing cache: Venice answers shared by every request and every process (issue 3).

Build one BillingCache per process (`BillingCache.from_settings`) and wrap each tenant's Venice
source with `cache.source(tenant, key, upstream)`. With REDIS_URL the entries, locks and failure
notes live in Redis and every process shares them; without it they live in this process.

    __init__.py      BillingCache and the CachedBillingSource it hands out
    read_through.py  the read path: near copy, one flight per key, turns across processes,
                     freshness, stale if error, the guard of a failing Redis, the counters
    entries.py       what is written: answers and failure notes as JSON (never pickle)
    keys.py          what it is written under: tenant, key fingerprint, endpoint, query
    backends.py      where: the backend contract, in-process and Redis, and LeaseLock
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pydantic import SecretStr

from bot.cache.backends import CacheBackend, CacheBackendError, LeaseLock, MemoryBackend
from bot.cache.entries import API_KEYS_CODEC, BALANCE_CODEC, USAGE_CODEC
from bot.cache.keys import DEFAULT_NAMESPACE, TenantKeys
from bot.cache.read_through import (
    CacheCounters,
    FreshnessPolicy,
    GuardedBackend,
    NearCache,
    ReadThrough,
    utc_now,
)
from bot.deadline import Deadline
from bot.settings import Settings
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery

__all__ = [
    "BillingCache",
    "CacheBackend",
    "CacheBackendError",
    "CacheCounters",
    "CachedBillingSource",
    "FreshnessPolicy",
    "GuardedBackend",
    "LeaseLock",
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
            from bot.cache.backends import RedisBackend  # redis-py is imported only now

            redis = RedisBackend.from_url(settings.redis_url, timeout=settings.redis_timeout)
            backend = GuardedBackend(redis, counters)
        policy = FreshnessPolicy.of(
            balance_ttl=settings.balance_ttl,
            usage_ttl=settings.usage_ttl,
            stale_for=settings.stale_for,
            api_keys_ttl=settings.api_keys_ttl,
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


class CachedBillingSource:
    """One tenant's key, through the process's cache. Holds the key's fingerprint, never the key
    (the upstream source holds that)."""

    def __init__(
        self,
        read_through: ReadThrough,
        keys: TenantKeys,
        upstream: BillingSource,
        policy: FreshnessPolicy,
    ) -> None:
        self._read_through = read_through
        self._keys = keys
        self._upstream = upstream
        self._policy = policy

    def __repr__(self) -> str:
        return f"CachedBillingSource({self._keys.prefix!r}, upstream={self._upstream!r})"

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        """The balance: cached for VENICE_BOT_BALANCE_TTL seconds."""
        return await self._read_through.get(
            self._keys.balance(),
            BALANCE_CODEC,
            self._policy.balance,
            self._upstream.balance,
            deadline,
        )

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        """The account's API keys: cached for VENICE_BOT_API_KEYS_TTL seconds (60 by default:
        Venice documents no cache of its own for /api_keys, and the keys' usage moves with every
        request, as the balance does)."""
        return await self._read_through.get(
            self._keys.api_keys(),
            API_KEYS_CODEC,
            self._policy.api_keys,
            self._upstream.api_keys,
            deadline,
        )

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        """Usage analytics over QUERY's period: cached for VENICE_BOT_USAGE_TTL seconds."""

        async def fetch(budget: Deadline) -> Fetched[UsageAnalytics]:
            return await self._upstream.usage(query, budget)

        return await self._read_through.get(
            self._keys.usage(query), USAGE_CODEC, self._policy.usage, fetch, deadline
        )
