"""Redis down, dead or hung: commands are answered straight from Venice, quickly, with one
warning a minute and no traceback; the cache comes back by itself when Redis does."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.cache import CacheBackendError, CacheCounters, GuardedBackend
from bot.cache.backends import RedisBackend
from bot.cache.read_through import CacheSkipped
from bot.deadline import Deadline
from bot.venice.client import VeniceClient
from bot.venice.source import UsageQuery
from tests.cache.conftest import CacheFactory
from tests.cache.support import ADMIN, USAGE_PATH, account, calls
from tests.services import PrivateRedis

TIMEOUT = 0.25  # VENICE_BOT_REDIS_TIMEOUT's default


def guarded(url: str, counters: CacheCounters, skip_for: float = 5.0) -> GuardedBackend:
    return GuardedBackend(
        RedisBackend.from_url(SecretStr(url), timeout=TIMEOUT), counters, skip_for=skip_for
    )


async def count_keys(url: str) -> int:
    client = Redis.from_url(url)
    try:
        return int(await client.dbsize())
    finally:
        await client.aclose()


def cache_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("bot.cache") and record.levelno >= logging.WARNING
    ]


async def test_redis_stopped_mid_run_costs_no_time_and_one_warning(
    private_redis: PrivateRedis,
    make_cache: CacheFactory,
    venice: VeniceClient,
    sim,
    caplog: pytest.LogCaptureFixture,
):
    counters = CacheCounters()
    backend = guarded(private_redis.url, counters)
    cache = make_cache(backend)
    source = cache.source("env", ADMIN, account(venice))
    await source.usage(UsageQuery("30d"), Deadline.after(5))
    assert await count_keys(private_redis.url) == 1

    private_redis.stop()
    for days in range(1, 6):  # five periods nobody has cached: each needs Venice
        started = time.monotonic()
        fetched = await source.usage(UsageQuery(f"{days}d"), Deadline.after(5))
        assert time.monotonic() - started < 0.5
        assert fetched.stale is None
    await backend.aclose()
    assert len(calls(sim, USAGE_PATH)) == 6
    warnings = cache_warnings(caplog)
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0]
    assert str(private_redis.port) not in warnings[0]  # never the URL
    assert counters.redis_errors == 1  # then skipped, not hammered


async def test_the_cache_comes_back_with_redis(
    private_redis: PrivateRedis, make_cache: CacheFactory, venice: VeniceClient, sim
):
    counters = CacheCounters()
    backend = guarded(private_redis.url, counters, skip_for=0.2)
    source = make_cache(backend).source("env", ADMIN, account(venice))
    private_redis.stop()
    await source.usage(UsageQuery("7d"), Deadline.after(5))
    assert counters.redis_errors >= 1
    private_redis.start()  # the same port, empty
    await asyncio.sleep(0.25)  # the guard's pause
    await source.usage(UsageQuery("14d"), Deadline.after(5))
    assert await count_keys(private_redis.url) == 1  # stored again, nothing to restart
    assert backend.healthy
    await backend.aclose()


class HungRedis:
    """A socket that accepts connections and never answers: a Redis stuck or unreachable."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    hung = HungRedis()
    try:
        yield hung
    finally:
        hung.sock.close()


async def test_a_hung_redis_costs_one_timeout_then_nothing(
    hung_redis: HungRedis, make_cache: CacheFactory, venice: VeniceClient, sim
):
    counters = CacheCounters()
    backend = guarded(hung_redis.url, counters)
    source = make_cache(backend).source("env", ADMIN, account(venice))
    started = time.monotonic()
    first = await source.usage(UsageQuery("7d"), Deadline.after(5))
    first_elapsed = time.monotonic() - started
    started = time.monotonic()
    await source.usage(UsageQuery("30d"), Deadline.after(5))
    second_elapsed = time.monotonic() - started
    await backend.aclose()
    assert first.stale is None
    assert TIMEOUT * 0.8 <= first_elapsed < TIMEOUT + 0.4
    assert second_elapsed < 0.15  # skipped: Redis is not asked again for a few seconds
    assert counters.redis_errors == 1


async def test_skipped_calls_fail_fast_without_counting_errors(private_redis: PrivateRedis):
    counters = CacheCounters()
    backend = guarded(private_redis.url, counters)
    private_redis.stop()
    with pytest.raises(CacheBackendError, match="ConnectionError"):
        await backend.get("k")
    started = time.monotonic()
    with pytest.raises(CacheSkipped):
        await backend.set("k", b"v", ttl=1)
    assert time.monotonic() - started < 0.01
    assert counters.redis_errors == 1
    assert not backend.healthy
    await backend.aclose()
