"""The in-process cache stays bounded: when full, expired entries go first, then the least
recently written; and a full cache stays as quick to write to as an empty one."""

from __future__ import annotations

import time

from bot.cache.backends import MemoryBackend


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_full_cache_drops_expired_entries_first_then_the_oldest_written():
    clock = Clock()
    cache = MemoryBackend(max_entries=3, clock=clock)
    await cache.set("old", b"1", ttl=600)
    await cache.set("brief", b"2", ttl=5)
    await cache.set("mid", b"3", ttl=600)
    clock.now += 10  # "brief" has expired, the others not
    await cache.set("new", b"4", ttl=600)
    assert await cache.get_many(["old", "brief", "mid", "new"]) == [b"1", None, b"3", b"4"]
    await cache.set("newer", b"5", ttl=600)  # nothing expired: the oldest written goes
    assert await cache.get_many(["old", "mid", "new", "newer"]) == [None, b"3", b"4", b"5"]
    assert len(cache) == 3


async def test_writing_to_a_full_cache_stays_quick():
    # A tick of 2,000 digests writes 6,000 answers: each must not scan the whole cache.
    cache = MemoryBackend(max_entries=4096)
    value = b"x" * 1000
    started = time.process_time()
    for number in range(20_000):
        await cache.set(f"answer:{number}", value, ttl=600)
    assert time.process_time() - started < 2.0  # a scan per write: several seconds
    assert len(cache) == 4096
    assert await cache.get("answer:19999") == value
    assert await cache.get("answer:0") is None
