"""The one contract both cache backends keep, and the LeaseLock over them: the in-process one
and Redis on a real server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from bot.cache import CacheBackend, LeaseLock


async def test_a_missing_key_is_none(backend: CacheBackend, namespace: str):
    assert await backend.get(f"{namespace}:absent") is None
    assert await backend.get_many([f"{namespace}:a", f"{namespace}:b"]) == [None, None]


async def test_a_value_comes_back_byte_for_byte(backend: CacheBackend, namespace: str):
    value = bytes(range(256)) + "naïve €".encode()
    await backend.set(f"{namespace}:bytes", value, ttl=30)
    assert await backend.get(f"{namespace}:bytes") == value


async def test_set_replaces_the_value(backend: CacheBackend, namespace: str):
    await backend.set(f"{namespace}:k", b"old", ttl=30)
    await backend.set(f"{namespace}:k", b"new", ttl=30)
    assert await backend.get(f"{namespace}:k") == b"new"


async def test_get_many_keeps_the_order_of_the_keys(backend: CacheBackend, namespace: str):
    await backend.set(f"{namespace}:1", b"one", ttl=30)
    await backend.set(f"{namespace}:3", b"three", ttl=30)
    keys = [f"{namespace}:3", f"{namespace}:2", f"{namespace}:1"]
    assert await backend.get_many(keys) == [b"three", None, b"one"]


async def test_a_value_expires_after_its_ttl(backend: CacheBackend, namespace: str):
    await backend.set(f"{namespace}:short", b"v", ttl=0.1)
    await backend.set(f"{namespace}:long", b"v", ttl=30)
    assert await backend.get(f"{namespace}:short") == b"v"
    await asyncio.sleep(0.2)
    assert await backend.get(f"{namespace}:short") is None
    assert await backend.get(f"{namespace}:long") == b"v"


async def test_a_held_lock_cannot_be_taken(backend: CacheBackend, namespace: str):
    lock = f"{namespace}:lock"
    assert await backend.acquire(lock, b"first", lease=30)
    assert not await backend.acquire(lock, b"second", lease=30)
    assert await backend.get(lock) == b"first"  # waiters read who holds it


async def test_only_the_holder_releases_a_lock(backend: CacheBackend, namespace: str):
    lock = f"{namespace}:lock"
    assert await backend.acquire(lock, b"mine", lease=30)
    assert not await backend.release(lock, b"someone-else")
    assert not await backend.acquire(lock, b"other", lease=30)
    assert await backend.release(lock, b"mine")
    assert await backend.acquire(lock, b"other", lease=30)


async def test_a_dead_holder_loses_the_lock_when_its_lease_ends(
    backend: CacheBackend, namespace: str
):
    lock = f"{namespace}:lock"
    assert await backend.acquire(lock, b"dead", lease=0.1)
    await asyncio.sleep(0.2)
    assert await backend.acquire(lock, b"alive", lease=30)
    # The late holder's release must not free the new holder's lock.
    assert not await backend.release(lock, b"dead")
    assert await backend.get(lock) == b"alive"


async def test_releasing_a_free_lock_is_harmless(backend: CacheBackend, namespace: str):
    assert not await backend.release(f"{namespace}:never", b"token")


@pytest.mark.parametrize("ttl", [0.0001, 0.0004])
async def test_tiny_ttls_are_accepted(backend: CacheBackend, namespace: str, ttl: float):
    # Redis refuses PX 0; a TTL rounding to zero milliseconds must not become an error.
    await backend.set(f"{namespace}:tiny", b"v", ttl=ttl)
    assert await backend.acquire(f"{namespace}:tiny-lock", b"t", lease=ttl) in (True, False)


async def test_hundreds_of_concurrent_calls_all_answer(backend: CacheBackend, namespace: str):
    # More calls at once than the Redis pool has connections: they queue, none fails.
    await backend.set(f"{namespace}:busy", b"v", ttl=30)
    answers = await asyncio.gather(*(backend.get(f"{namespace}:busy") for _ in range(300)))
    assert answers == [b"v"] * 300


async def test_a_lease_lock_has_one_holder_until_it_is_released(
    backend: CacheBackend, namespace: str
):
    first = LeaseLock(backend, f"{namespace}:lease", lease=30)
    second = LeaseLock(backend, f"{namespace}:lease", lease=30)
    assert first.token != second.token
    assert await first.take()
    assert not await second.take()
    assert await backend.get(first.key) == first.token  # waiters see who holds it
    assert await first.release()
    assert await second.take()


async def test_a_lease_lock_waits_for_its_holder_to_release_it(
    backend: CacheBackend, namespace: str
):
    holder = LeaseLock(backend, f"{namespace}:lease", lease=30)
    waiter = LeaseLock(backend, f"{namespace}:lease", lease=30)
    assert await holder.take()

    async def release_soon() -> None:
        await asyncio.sleep(0.1)
        await holder.release()

    releasing = asyncio.create_task(release_soon())
    assert await waiter.take_within(5, pause=0.02)
    await releasing
    assert await backend.get(waiter.key) == waiter.token


async def test_a_lease_lock_gives_up_when_it_stays_taken(backend: CacheBackend, namespace: str):
    assert await LeaseLock(backend, f"{namespace}:lease", lease=30).take()
    waiter = LeaseLock(backend, f"{namespace}:lease", lease=30)
    started = time.monotonic()
    assert not await waiter.take_within(0.2, pause=0.05)
    assert 0.15 <= time.monotonic() - started < 2


async def test_a_holder_whose_lease_ran_out_cannot_free_the_next_holders_lock(
    backend: CacheBackend, namespace: str
):
    late = LeaseLock(backend, f"{namespace}:lease", lease=0.1)
    assert await late.take()
    await asyncio.sleep(0.2)  # the holder died, or took too long: its lease frees the lock
    nxt = LeaseLock(backend, f"{namespace}:lease", lease=30)
    assert await nxt.take()
    assert not await late.release()
    assert await backend.get(nxt.key) == nxt.token


def test_redis_py_is_imported_only_when_a_redis_backend_is_made():
    # A CLI run without REDIS_URL must not pay for importing redis-py (about 50 ms).
    probe = (
        "import sys, bot.cache, bot.cache.backends\n"
        "from bot.cache import BillingCache\n"
        "assert 'redis' not in sys.modules, 'imported early'\n"
        "from pydantic import SecretStr\n"
        "bot.cache.backends.RedisBackend.from_url(SecretStr('redis://127.0.0.1:1/0'), timeout=1)\n"
        "assert 'redis' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)
