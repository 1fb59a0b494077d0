"""The read path every cached request takes: near copy, shared entry, one fetch, stale if error.

1. A fresh answer this process already decoded is returned at once (NearCache).
2. Otherwise the request joins this process's flight for the key (SingleFlight: one task per
   key), waiting with its own budget. The flight reads the shared entry: fresh, it is the
   answer; older, it is kept aside to be shown stale. Then it takes its turn across processes
   (FetchTurn, on the backend's LeaseLock) or waits for the process whose turn it is, fetches
   from Venice, stores the entry and frees the lock.
3. When Venice is unavailable (5xx, 504, timeouts, network, 429 past the budget) or the
   caller's budget ends, an entry kept aside is served, marked stale with the reason. A
   refusal (bad or inference key, 402, invalid period) is never answered from the cache.
When the backend fails, the flight answers straight from Venice, and the guard
(GuardedBackend) leaves Redis alone for a few seconds: a broken backend costs at most its
timeout, once.

Freshness is judged from `fetched_at`, stored in the entry, never from the backend's TTL: a
hit keeps its real age ("As of 14:03 UTC"). An answer fetched before 00:00 UTC is not fresh
after it, whatever its TTL: the DIEM epoch and every `Nd` period turn over at midnight UTC.
What the path did is counted in CacheCounters (for /metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import BaseModel

from bot.cache.backends import CacheBackend, CacheBackendError, LeaseLock
from bot.cache.entries import NOTE_SECONDS, EntryCodec, FailureNote, UnreadableEntry
from bot.cache.keys import EntryKeys
from bot.cards import Stale
from bot.deadline import Deadline
from bot.errors import VeniceError, VeniceTimeout, VeniceUnavailable
from bot.venice.source import Fetched

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
T = TypeVar("T")
Fetch = Callable[[Deadline], Awaitable[Fetched[M]]]

LEASE_MARGIN = 5.0  # a lock outlives its holder's whole budget, so it never expires mid-fetch


# Freshness


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Freshness:
    """FRESH_FOR seconds of freshness, then STALE_FOR seconds more in the cache."""

    fresh_for: float
    stale_for: float

    @property
    def keep_for(self) -> float:
        """Seconds an entry stays in the backend: fresh time plus stale time."""
        return self.fresh_for + self.stale_for

    def is_fresh(self, fetched_at: datetime, now: datetime) -> bool:
        """True while an answer fetched at FETCHED_AT may be given as current at NOW."""
        if fetched_at.astimezone(UTC).date() != now.astimezone(UTC).date():
            return False
        return (now - fetched_at).total_seconds() < self.fresh_for

    def may_serve_stale(self, fetched_at: datetime, now: datetime) -> bool:
        """True while an answer fetched at FETCHED_AT may still be shown, marked stale."""
        return (now - fetched_at).total_seconds() < self.keep_for


@dataclass(frozen=True, slots=True)
class FreshnessPolicy:
    """Freshness per endpoint: balance moves with every request, usage only every 10 minutes;
    the API keys' usage moves like the balance (Venice documents no cache for /api_keys)."""

    balance: Freshness
    usage: Freshness
    api_keys: Freshness

    @classmethod
    def of(
        cls,
        *,
        balance_ttl: float,
        usage_ttl: float,
        stale_for: float,
        api_keys_ttl: float = 60.0,
    ) -> FreshnessPolicy:
        """The policy from the settings (VENICE_BOT_BALANCE_TTL, _USAGE_TTL, _API_KEYS_TTL,
        _STALE_FOR)."""
        return cls(
            Freshness(balance_ttl, stale_for),
            Freshness(usage_ttl, stale_for),
            Freshness(api_keys_ttl, stale_for),
        )


# What the path did


@dataclass
class CacheCounters:
    """Monotonic counts since start-up, one set per process. Every request through the cache is
    a hit or a miss.

    hits            answered from a fresh entry (this process's, or one another process stored)
    misses          no fresh entry: answered from Venice, served stale, or failed
    stale_served    answered with an entry past its freshness because Venice failed
    upstream_calls  calls this process made to Venice (one per shared flight, not per request)
    joined          requests that shared another request's in-flight call in this process
    lock_waits      flights that waited for another process's call instead of making their own
    redis_errors    Redis calls that failed or timed out (skipped calls are not counted)
    """

    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    upstream_calls: int = 0
    joined: int = 0
    lock_waits: int = 0
    redis_errors: int = 0

    def snapshot(self) -> dict[str, int]:
        """The counts by name, e.g. for `/metrics`."""
        return asdict(self)


# The path


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

        lock: FetchTurn[M] | None = None
        try:
            entry = self._decode(await self._backend.get(keys.entry), codec)
        except CacheBackendError:
            entry = None  # answer straight from Venice
        else:
            if entry is not None and freshness.is_fresh(entry.fetched_at, self._clock()):
                return self._remember(keys, freshness, entry, "cache")
            if entry is not None and freshness.may_serve_stale(entry.fetched_at, self._clock()):
                flight.stale = entry
            lock = FetchTurn(
                LeaseLock(self._backend, keys.lock, lease=budget + LEASE_MARGIN),
                keys,
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
        lock: FetchTurn[M] | None,
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


# This process's copies and flights


NEAR_MAX_ENTRIES = 256  # a 90-day usage answer decodes to about a megabyte of objects


class NearCache:
    """Decoded answers this process already holds, kept while fresh: a bounded map from entry
    key to Fetched answer, least recently used leaving first.

    A warm hit then costs neither a Redis round trip nor decoding a large JSON document. Only
    fresh answers live here: whether an older one may be shown stale is decided from the shared
    entry, which every process sees.
    """

    def __init__(self, max_entries: int = NEAR_MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Fetched[Any]] = OrderedDict()
        self._max_entries = max(0, max_entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Fetched[Any] | None:
        """The answer under KEY, if held (the caller judges its freshness)."""
        fetched = self._entries.get(key)
        if fetched is not None:
            self._entries.move_to_end(key)
        return fetched

    def put(self, key: str, fetched: Fetched[Any]) -> None:
        """Hold FETCHED under KEY, replacing any older answer."""
        if self._max_entries == 0:
            return
        held = self._entries.get(key)
        if held is not None and held.fetched_at > fetched.fetched_at:
            return  # never replace a newer answer with an older one
        self._entries[key] = fetched
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget the answer under KEY."""
        self._entries.pop(key, None)


class Flight(Generic[T, R]):
    """One in-flight resolution of a key. `stale` is set once the task has read an old entry,
    so a caller whose budget runs out can still be answered with it."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.stale: Fetched[T] | None = None
        self.task: asyncio.Task[R]

    async def wait(self, deadline: Deadline) -> R:
        """The task's result, or TimeoutError when DEADLINE passes first (the task runs on)."""
        return await asyncio.wait_for(asyncio.shield(self.task), deadline.remaining())


class SingleFlight:
    """The flights in progress, by key: concurrent identical requests share one call.

    Each caller waits with its own time budget (`asyncio.shield`, so a caller giving up never
    cancels the call the others are waiting for); the task runs on and stores its answer.
    """

    def __init__(self) -> None:
        self._flights: dict[str, Flight[Any, Any]] = {}

    def __len__(self) -> int:
        return len(self._flights)

    def join(
        self, key: str, work: Callable[[Flight[T, R]], Coroutine[Any, Any, R]]
    ) -> tuple[Flight[T, R], bool]:
        """The flight for KEY, started with WORK if none is running; True when joined."""
        running = self._flights.get(key)
        if running is not None and not running.task.done():
            return running, True
        flight: Flight[T, R] = Flight(key)
        flight.task = asyncio.create_task(work(flight), name=f"cache flight {key[-40:]}")
        self._flights[key] = flight
        flight.task.add_done_callback(lambda _: self._finished(flight))
        return flight, False

    def _finished(self, flight: Flight[Any, Any]) -> None:
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]
        if not flight.task.cancelled():
            flight.task.exception()  # retrieved: every caller may have given up already

    async def aclose(self) -> None:
        """Cancel the flights still running and wait for them to finish."""
        tasks = [flight.task for flight in self._flights.values() if not flight.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


# Across processes


FIRST_PAUSE = 0.02
MAX_PAUSE = 0.1
PAUSE_GROWTH = 1.5


class FetchTurn(Generic[T]):
    """Across processes: one fetch per key at a time, under the key's LeaseLock.

    The holder fetches from Venice, stores the entry, then frees the lock. The others poll the
    entry with a short, growing pause (20 ms up to 100 ms) until it appears, the lock is free
    (then they try to take it: a holder that died is released by its lease), a failure note of
    a holder they saw appears (FailureNote, bot/cache/entries.py), or their time budget ends.
    READ_FRESH turns an entry's bytes into a fresh answer, or None when the bytes are missing,
    unreadable or no longer fresh.
    """

    def __init__(
        self,
        lock: LeaseLock,
        keys: EntryKeys,
        *,
        read_fresh: Callable[[bytes | None], Fetched[T] | None],
        counters: CacheCounters,
    ) -> None:
        self._lock = lock
        self._backend = lock.backend
        self._keys = keys
        self._read_fresh = read_fresh
        self._counters = counters

    async def take_turn(self, deadline: Deadline) -> Fetched[T] | None:
        """None once this flight holds the lock (it must fetch, then `release`); a fresh answer
        when another process stored one meanwhile. Raises the error of a holder it waited on,
        VeniceTimeout when DEADLINE passes, CacheBackendError when the backend fails."""
        if await self._lock.take():
            return await self._recheck()
        self._counters.lock_waits += 1
        holders: set[bytes] = set()
        pause = FIRST_PAUSE
        while True:
            entry, holder, note = await self._backend.get_many(
                [self._keys.entry, self._lock.key, self._keys.failure]
            )
            fresh = self._read_fresh(entry)
            if fresh is not None:
                return fresh
            failure = FailureNote.decode(note) if note is not None else None
            if failure is not None and failure.token in holders:
                raise failure.error
            if holder is None:
                if await self._lock.take():
                    return await self._recheck()
            else:
                holders.add(holder)
            if deadline.remaining() <= 0:
                raise VeniceTimeout("Venice did not answer in time; try again.")
            await asyncio.sleep(min(pause, deadline.remaining()))
            pause = min(MAX_PAUSE, pause * PAUSE_GROWTH)

    async def _recheck(self) -> Fetched[T] | None:
        # Another process may have stored the answer and freed the lock between our read and
        # our acquire: read once more rather than call Venice a second time.
        try:
            fresh = self._read_fresh(await self._backend.get(self._keys.entry))
            if fresh is not None:
                await self.release()
        except CacheBackendError:
            return None  # the lock is ours: fetch, and the release will be tried after
        return fresh

    async def fail(self, error: VeniceError) -> None:
        """Tell the waiters of this flight that its fetch failed with ERROR (before `release`)."""
        note = FailureNote(self._lock.token, error)
        await self._backend.set(self._keys.failure, note.encode(), NOTE_SECONDS)

    async def release(self) -> bool:
        """Free the lock if it is still ours."""
        return await self._lock.release()


# A failing backend


SKIP_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class CacheSkipped(CacheBackendError):
    """The backend was not asked: it failed moments ago."""

    def __init__(self) -> None:
        super().__init__("skipped")


class GuardedBackend:
    """A CacheBackend that stops calling its inner backend for SKIP seconds after an error.

    While Redis is skipped, commands are answered straight from Venice (still one call per
    query in each process). One warning per minute at most, naming the error class, never the
    URL.
    """

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
