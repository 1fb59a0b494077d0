"""The read path every cached request takes: near copy, shared entry, one fetch, stale if error.

1. A fresh answer this process already decoded is returned at once.
2. Otherwise the request joins this process's flight for the key (one task per key), waiting
   with its own budget. The flight reads the shared entry: fresh, it is the answer; older, it
   is kept aside to be shown stale. Then it takes the shared lock or waits for the process
   that holds it, fetches from Venice, stores the entry and frees the lock.
3. When Venice is unavailable (5xx, 504, timeouts, network, 429 past the budget) or the
   caller's budget ends, an entry kept aside is served, marked stale with the reason. A
   refusal (bad or inference key, 402, invalid period) is never answered from the cache.
When the backend fails, the flight answers straight from Venice (the guard then skips Redis
for a few seconds); a broken backend costs at most its timeout, once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic, Literal, TypeVar, cast

from pydantic import BaseModel

from bot.cache.backend import CacheBackend, CacheBackendError
from bot.cache.counters import CacheCounters
from bot.cache.entries import EntryCodec, UnreadableEntry
from bot.cache.freshness import Freshness, utc_now
from bot.cache.keys import EntryKeys
from bot.cache.near import NearCache
from bot.cache.shared_lock import SharedLock
from bot.cache.single_flight import Flight, SingleFlight
from bot.cards import Stale
from bot.deadline import Deadline
from bot.errors import VeniceError, VeniceTimeout, VeniceUnavailable
from bot.venice.source import Fetched

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Fetch = Callable[[Deadline], Awaitable[Fetched[M]]]

LEASE_MARGIN = 5.0  # a lock outlives its holder's whole budget, so it never expires mid-fetch


def stale_reason(error: VeniceError) -> str:
    """Why an answer is stale, in a few words: the error's first sentence, without advice."""
    first = error.message.strip().split(". ")[0].split(";")[0].strip().rstrip(".")
    return first or type(error).__name__


@dataclass(frozen=True, slots=True)
class Resolved(Generic[M]):
    """A flight's answer and where it came from (a cache entry, or a call to Venice)."""

    fetched: Fetched[M]
    origin: Literal["cache", "upstream"]


class ReadThrough:
    """The cache's read path over one backend, shared by every tenant of the process."""

    def __init__(
        self,
        backend: CacheBackend,
        counters: CacheCounters,
        *,
        flight_budget: float,
        clock: Callable[[], datetime] = utc_now,
        near: NearCache | None = None,
    ) -> None:
        self._backend = backend
        self._counters = counters
        self._flight_budget = flight_budget
        self._clock = clock
        self._near = near if near is not None else NearCache()
        self._flights = SingleFlight()

    async def get(
        self,
        keys: EntryKeys,
        codec: EntryCodec[M],
        freshness: Freshness,
        fetch: Fetch[M],
        deadline: Deadline,
    ) -> Fetched[M]:
        """The answer for KEYS within DEADLINE: cached, fetched once, or stale if Venice fails."""
        held = self._near.get(keys.entry)
        if held is not None:
            if freshness.is_fresh(held.fetched_at, self._clock()):
                self._counters.hits += 1
                return cast(Fetched[M], held)  # the key names the endpoint, hence the model
            self._near.drop(keys.entry)

        async def work(flight: Flight[M, Resolved[M]]) -> Resolved[M]:
            # The shared call runs on when its first caller gives up: it has the full request
            # budget, or that caller's, whichever ends later.
            budget = max(deadline.remaining(), self._flight_budget)
            return await self._resolve(flight, keys, codec, freshness, fetch, budget)

        flight, joined = self._flights.join(keys.entry, work)
        if joined:
            self._counters.joined += 1
        try:
            resolved = await flight.wait(deadline)
        except TimeoutError:
            error: VeniceError = VeniceTimeout("Venice did not answer in time; try again.")
        except VeniceError as failed:
            error = failed
        else:
            if resolved.origin == "cache":
                self._counters.hits += 1
            else:
                self._counters.misses += 1
            return resolved.fetched
        self._counters.misses += 1
        if not isinstance(error, VeniceUnavailable) or flight.stale is None:
            raise error
        self._counters.stale_served += 1
        stale = Stale(since=flight.stale.fetched_at, reason=stale_reason(error))
        return replace(flight.stale, stale=stale)

    async def aclose(self) -> None:
        """Cancel flights still running (their callers have all given up)."""
        await self._flights.aclose()

    async def _resolve(
        self,
        flight: Flight[M, Resolved[M]],
        keys: EntryKeys,
        codec: EntryCodec[M],
        freshness: Freshness,
        fetch: Fetch[M],
        budget: float,
    ) -> Resolved[M]:
        deadline = Deadline.after(budget)

        def read_fresh(raw: bytes | None) -> Fetched[M] | None:
            entry = self._decode(raw, codec)
            if entry is None or not freshness.is_fresh(entry.fetched_at, self._clock()):
                return None
            return entry

        lock: SharedLock[M] | None = None
        try:
            entry = self._decode(await self._backend.get(keys.entry), codec)
        except CacheBackendError:
            entry = None  # answer straight from Venice
        else:
            if entry is not None and freshness.is_fresh(entry.fetched_at, self._clock()):
                return self._remember(keys, freshness, entry, "cache")
            if entry is not None and freshness.may_serve_stale(entry.fetched_at, self._clock()):
                flight.stale = entry
            lock = SharedLock(
                self._backend,
                keys,
                secrets.token_hex(16).encode(),
                lease=budget + LEASE_MARGIN,
                read_fresh=read_fresh,
                counters=self._counters,
            )
            try:
                peer = await lock.take_turn(deadline)
            except CacheBackendError:
                lock = None
            else:
                if peer is not None:
                    return self._remember(keys, freshness, peer, "cache")
        try:
            return await self._fetch(keys, codec, freshness, fetch, deadline, lock)
        finally:
            if lock is not None:
                await _quietly(lock.release())

    async def _fetch(
        self,
        keys: EntryKeys,
        codec: EntryCodec[M],
        freshness: Freshness,
        fetch: Fetch[M],
        deadline: Deadline,
        lock: SharedLock[M] | None,
    ) -> Resolved[M]:
        self._counters.upstream_calls += 1
        try:
            fetched = await fetch(deadline)
        except VeniceError as error:
            if lock is not None:
                await _quietly(lock.fail(error))
            raise
        if freshness.keep_for > 0:
            await self._store(keys, codec, freshness, fetched)
        return self._remember(keys, freshness, fetched, "upstream")

    async def _store(
        self, keys: EntryKeys, codec: EntryCodec[M], freshness: Freshness, fetched: Fetched[M]
    ) -> None:
        try:
            raw = codec.encode(fetched)
        except (TypeError, ValueError) as problem:  # the answer is still good; only not cached
            log.warning("could not cache a %s answer: %s", codec.kind, problem)
            return
        await _quietly(self._backend.set(keys.entry, raw, freshness.keep_for))

    def _remember(
        self,
        keys: EntryKeys,
        freshness: Freshness,
        fetched: Fetched[M],
        origin: Literal["cache", "upstream"],
    ) -> Resolved[M]:
        if freshness.is_fresh(fetched.fetched_at, self._clock()):
            self._near.put(keys.entry, fetched)
        return Resolved(fetched, origin)

    @staticmethod
    def _decode(raw: bytes | None, codec: EntryCodec[M]) -> Fetched[M] | None:
        if raw is None:
            return None
        try:
            return codec.decode(raw)
        except UnreadableEntry as problem:
            log.debug("ignoring a cached %s entry: %s", codec.kind, problem)
            return None


async def _quietly(operation: Awaitable[object]) -> None:
    """Run a backend write whose failure only costs caching (the guard logs it)."""
    with contextlib.suppress(CacheBackendError):
        await operation
