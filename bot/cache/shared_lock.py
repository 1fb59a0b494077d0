"""Across processes: one fetch per key at a time, under a lock with a lease.

The holder fetches from Venice, stores the entry, then frees the lock. The others poll the
entry with a short, growing pause (20 ms up to 100 ms) until it appears, the lock is free (then
they try to take it: a holder that died is released by its lease), a failure note of a holder
they saw appears (see failure_note.py), or their time budget ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

from bot.cache.backend import CacheBackend, CacheBackendError
from bot.cache.counters import CacheCounters
from bot.cache.failure_note import NOTE_SECONDS, FailureNote
from bot.cache.keys import EntryKeys
from bot.deadline import Deadline
from bot.errors import VeniceError, VeniceTimeout
from bot.venice.source import Fetched

T = TypeVar("T")

FIRST_PAUSE = 0.02
MAX_PAUSE = 0.1
PAUSE_GROWTH = 1.5


class SharedLock(Generic[T]):
    """The lock protocol for one key. READ_FRESH turns an entry's bytes into a fresh answer,
    or None when the bytes are missing, unreadable or no longer fresh."""

    def __init__(
        self,
        backend: CacheBackend,
        keys: EntryKeys,
        token: bytes,
        *,
        lease: float,
        read_fresh: Callable[[bytes | None], Fetched[T] | None],
        counters: CacheCounters,
    ) -> None:
        self._backend = backend
        self._keys = keys
        self._token = token
        self._lease = lease
        self._read_fresh = read_fresh
        self._counters = counters

    async def take_turn(self, deadline: Deadline) -> Fetched[T] | None:
        """None once this flight holds the lock (it must fetch, then `release`); a fresh answer
        when another process stored one meanwhile. Raises the error of a holder it waited on,
        VeniceTimeout when DEADLINE passes, CacheBackendError when the backend fails."""
        if await self._backend.acquire(self._keys.lock, self._token, self._lease):
            return await self._recheck()
        self._counters.lock_waits += 1
        holders: set[bytes] = set()
        pause = FIRST_PAUSE
        while True:
            entry, holder, note = await self._backend.get_many(
                [self._keys.entry, self._keys.lock, self._keys.failure]
            )
            fresh = self._read_fresh(entry)
            if fresh is not None:
                return fresh
            failure = FailureNote.decode(note) if note is not None else None
            if failure is not None and failure.token in holders:
                raise failure.error
            if holder is None:
                if await self._backend.acquire(self._keys.lock, self._token, self._lease):
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
        note = FailureNote(self._token, error)
        await self._backend.set(self._keys.failure, note.encode(), NOTE_SECONDS)

    async def release(self) -> bool:
        """Free the lock if it is still ours."""
        return await self._backend.release(self._keys.lock, self._token)
