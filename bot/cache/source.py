"""A BillingSource that answers from the cache and calls its upstream source only when needed."""

from __future__ import annotations

from bot.cache.entries import BALANCE_CODEC, USAGE_CODEC
from bot.cache.freshness import FreshnessPolicy
from bot.cache.keys import TenantKeys
from bot.cache.read_through import ReadThrough
from bot.deadline import Deadline
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery


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

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        """Usage analytics over QUERY's period: cached for VENICE_BOT_USAGE_TTL seconds."""

        async def fetch(budget: Deadline) -> Fetched[UsageAnalytics]:
            return await self._upstream.usage(query, budget)

        return await self._read_through.get(
            self._keys.usage(query), USAGE_CODEC, self._policy.usage, fetch, deadline
        )
