"""The cache in front of the real Venice client and the simulator, on both backends: hits keep
their age, concurrent requests share one call, and stale answers are served only when Venice
is unavailable."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from pydantic import SecretStr

from bot.cache import CacheBackend
from bot.deadline import Deadline
from bot.errors import BadKey, VeniceFailing, VeniceTimeout
from bot.venice.client import VeniceClient, make_http_client
from bot.venice.source import UsageQuery
from tests.cache.conftest import CacheFactory
from tests.cache.support import ADMIN, BALANCE_PATH, USAGE_PATH, Clock, account, calls

THIRTY_DAYS = UsageQuery("30d")
SEVEN_DAYS = UsageQuery("7d")


def budget(seconds: float = 5) -> Deadline:
    return Deadline.after(seconds)


async def test_a_hit_makes_no_call_and_keeps_the_original_fetch_time(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend)
    source = cache.source("env", ADMIN, account(venice))
    first = await source.usage(THIRTY_DAYS, budget())
    clock.advance(300)
    again = await source.usage(THIRTY_DAYS, budget())
    # Another process (same backend, nothing decoded yet) reads the same entry.
    other = make_cache(backend).source("env", ADMIN, account(venice))
    from_store = await other.usage(THIRTY_DAYS, budget())
    assert calls(sim, USAGE_PATH) == [{"lookback": "30d"}]
    assert again.fetched_at == from_store.fetched_at == first.fetched_at  # "As of" is true
    assert again.value == from_store.value == first.value
    assert from_store.stale is None
    assert cache.counters.snapshot() | {"hits": 1, "misses": 1, "upstream_calls": 1} == (
        cache.counters.snapshot()
    )


async def test_two_periods_are_two_entries(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim
):
    source = make_cache(backend).source("env", ADMIN, account(venice))
    week = await source.usage(SEVEN_DAYS, budget())
    month = await source.usage(THIRTY_DAYS, budget())
    await source.usage(SEVEN_DAYS, budget())
    await source.usage(THIRTY_DAYS, budget())
    assert calls(sim, USAGE_PATH) == [{"lookback": "7d"}, {"lookback": "30d"}]
    assert len(week.value.by_date) < len(month.value.by_date)


async def test_fresh_ends_after_the_ttl_then_venice_is_asked_again(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim, clock: Clock
):
    source = make_cache(backend, balance_ttl=60).source("env", ADMIN, account(venice))
    first = await source.balance(budget())
    clock.advance(59)
    await source.balance(budget())
    assert len(calls(sim, BALANCE_PATH)) == 1
    clock.advance(2)
    later = await source.balance(budget())
    assert len(calls(sim, BALANCE_PATH)) == 2
    assert later.fetched_at > first.fetched_at


async def test_another_tenant_or_another_key_never_reads_an_entry(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim
):
    cache = make_cache(backend)
    team = SecretStr("sim-admin")
    usd_only = SecretStr("sim-admin-usd")  # another account: no DIEM at all
    first = await cache.source("slack:T1", team, account(venice, team)).balance(budget())
    other_tenant = await cache.source("slack:T2", team, account(venice, team)).balance(budget())
    new_key = await cache.source("slack:T1", usd_only, account(venice, usd_only)).balance(budget())
    assert len(calls(sim, BALANCE_PATH)) == 3
    assert first.value.balances.diem is not None
    assert other_tenant.fetched_at != first.fetched_at
    assert new_key.value.balances.diem is None  # the new key's own account, not the old entry


async def test_fifty_identical_requests_share_one_call(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim
):
    sim.simulator.faults.latency = 0.3
    cache = make_cache(backend)
    source = cache.source("env", ADMIN, account(venice))
    answers = await asyncio.gather(*(source.usage(THIRTY_DAYS, budget()) for _ in range(50)))
    assert calls(sim, USAGE_PATH) == [{"lookback": "30d"}]
    assert all(answer is answers[0] for answer in answers)
    counts = cache.counters
    assert (counts.upstream_calls, counts.joined, counts.misses) == (1, 49, 50)


async def test_two_processes_share_one_call(
    shared_backends: tuple[CacheBackend, CacheBackend],
    make_cache: CacheFactory,
    venice: VeniceClient,
    sim,
):
    sim.simulator.faults.latency = 0.4
    first, second = (make_cache(backend) for backend in shared_backends)
    sources = [cache.source("env", ADMIN, account(venice)) for cache in (first, second)]
    answers = await asyncio.gather(
        *(sources[i % 2].usage(THIRTY_DAYS, budget()) for i in range(20))
    )
    assert calls(sim, USAGE_PATH) == [{"lookback": "30d"}]
    assert len({answer.fetched_at for answer in answers}) == 1
    assert first.counters.upstream_calls + second.counters.upstream_calls == 1
    assert first.counters.lock_waits + second.counters.lock_waits == 1


async def test_waiters_hear_at_once_that_the_holder_failed(
    shared_backends: tuple[CacheBackend, CacheBackend], make_cache: CacheFactory, sim
):
    sim.simulator.faults.latency = 0.3
    sim.simulator.faults.fail_next(503, times=5)
    async with make_http_client() as http:
        once = VeniceClient(http, sim.base_url, max_attempts=1)  # one call per fetch
        first, second = (make_cache(backend) for backend in shared_backends)
        holder = first.source("env", ADMIN, account(once))
        waiter = second.source("env", ADMIN, account(once))
        started = time.monotonic()
        holder_call = asyncio.create_task(holder.usage(SEVEN_DAYS, budget()))
        await asyncio.sleep(0.1)  # the holder has the lock and is waiting on Venice
        with pytest.raises(VeniceFailing):
            await waiter.usage(SEVEN_DAYS, budget())
        with pytest.raises(VeniceFailing):
            await holder_call
        assert time.monotonic() - started < 1.0
        assert len(calls(sim, USAGE_PATH)) == 1  # not one call per process in turn
        assert (first.counters.upstream_calls, second.counters.upstream_calls) == (1, 0)
        # The failure is not cached: the next request asks Venice again.
        sim.simulator.faults.clear()
        await waiter.usage(SEVEN_DAYS, budget())
        assert len(calls(sim, USAGE_PATH)) == 2


async def test_a_holder_that_died_is_replaced_when_its_lease_ends(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim, namespace: str
):
    from bot.cache.keys import TenantKeys
    from tests.cache.support import SECRET

    lock = TenantKeys.build(namespace, "env", SECRET, ADMIN).usage(SEVEN_DAYS).lock
    assert await backend.acquire(lock, b"a process that crashed", lease=0.3)
    source = make_cache(backend).source("env", ADMIN, account(venice))
    started = time.monotonic()
    fetched = await source.usage(SEVEN_DAYS, budget())
    assert 0.25 <= time.monotonic() - started < 1.5
    assert fetched.stale is None
    assert calls(sim, USAGE_PATH) == [{"lookback": "7d"}]


async def test_venice_failing_serves_the_kept_answer_marked_stale(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend, balance_ttl=1)
    source = cache.source("env", ADMIN, account(venice_once))
    first = await source.balance(budget())
    clock.advance(2)
    sim.simulator.faults.fail_next(500, times=10)
    served = await source.balance(budget())
    assert served.value == first.value
    assert served.fetched_at == first.fetched_at
    assert served.stale is not None
    assert served.stale.since == first.fetched_at
    assert served.stale.reason == "Venice is having trouble (HTTP 500)"
    assert cache.counters.stale_served == 1
    # Venice back: a fresh answer replaces it.
    sim.simulator.faults.clear()
    assert (await source.balance(budget())).stale is None


async def test_a_refusal_is_never_answered_from_the_cache(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend, balance_ttl=1)
    source = cache.source("env", ADMIN, account(venice_once))
    await source.balance(budget())
    clock.advance(2)
    sim.simulator.faults.fail_next(401)  # the key was revoked
    with pytest.raises(BadKey):
        await source.balance(budget())
    assert cache.counters.stale_served == 0


async def test_with_nothing_kept_the_error_is_raised(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim
):
    sim.simulator.faults.fail_next(503, times=10)
    source = make_cache(backend).source("env", ADMIN, account(venice_once))
    with pytest.raises(VeniceFailing):
        await source.balance(budget())


async def test_answers_older_than_the_stale_window_are_not_shown(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend, balance_ttl=1, stale_for=60)
    source = cache.source("env", ADMIN, account(venice_once))
    await source.balance(budget())
    clock.advance(62)
    sim.simulator.faults.fail_next(503, times=10)
    with pytest.raises(VeniceFailing):
        await source.balance(budget())


async def test_a_caller_out_of_time_gets_the_stale_answer_and_the_call_still_lands(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend, usage_ttl=1)
    source = cache.source("env", ADMIN, account(venice))
    first = await source.usage(SEVEN_DAYS, budget())
    clock.advance(2)
    sim.simulator.faults.latency = 0.4
    started = time.monotonic()
    served = await source.usage(SEVEN_DAYS, budget(0.1))
    assert time.monotonic() - started < 0.3
    assert served.stale is not None
    assert served.stale.reason == "Venice did not answer in time"
    assert served.fetched_at == first.fetched_at
    await asyncio.sleep(0.45)  # the shared call finishes without any caller and is stored
    sim.simulator.faults.latency = 0
    clock.offset = timedelta()  # back to the present, where that new answer is fresh
    fresh = await source.usage(SEVEN_DAYS, budget())
    assert fresh.stale is None
    assert fresh.fetched_at > first.fetched_at
    assert len(calls(sim, USAGE_PATH)) == 2


async def test_a_caller_out_of_time_with_nothing_kept_gets_a_timeout(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim
):
    sim.simulator.faults.latency = 0.3
    cache = make_cache(backend)
    source = cache.source("env", ADMIN, account(venice))
    started = time.monotonic()
    with pytest.raises(VeniceTimeout):
        await source.usage(SEVEN_DAYS, budget(0.1))
    assert time.monotonic() - started < 0.25
    await asyncio.sleep(0.35)
    await source.usage(SEVEN_DAYS, budget())  # stored by the call that ran on
    assert len(calls(sim, USAGE_PATH)) == 1
    assert cache.counters.upstream_calls == 1


async def test_a_zero_ttl_always_asks_venice_but_still_keeps_a_stale_answer(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim
):
    source = make_cache(backend, balance_ttl=0).source("env", ADMIN, account(venice_once))
    await source.balance(budget())
    await source.balance(budget())
    assert len(calls(sim, BALANCE_PATH)) == 2
    sim.simulator.faults.fail_next(503, times=10)
    served = await source.balance(budget())
    assert served.stale is not None


async def test_the_source_never_shows_the_key(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient
):
    key = SecretStr("sim-admin-" + "0123456789abcdef")
    cache = make_cache(backend)
    source = cache.source("env", key, account(venice, key))
    assert "0123456789abcdef" not in repr(source) + repr(cache)
