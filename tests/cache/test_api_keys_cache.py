"""`GET /api_keys` through the cache, on both backends: a second call within the TTL makes no
request, the TTL (VENICE_BOT_API_KEYS_TTL) ends freshness, a failing Venice is answered stale,
and nothing written to the cache names the Venice key."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.cache import CacheBackend
from bot.cache.keys import TenantKeys
from bot.deadline import Deadline
from bot.errors import AdminKeyRequired
from bot.runtime import Runtime
from bot.settings import Settings
from bot.venice.client import VeniceClient
from tests.cache.conftest import CacheFactory
from tests.cache.support import API_KEYS_PATH, BALANCE_PATH, SECRET, Clock, account, calls


def budget(seconds: float = 10) -> Deadline:
    return Deadline.after(seconds)


def distinct_key(namespace: str) -> SecretStr:
    """A team key (the simulator reads the prefix) no other test or run uses."""
    return SecretStr("sim-admin-team-" + namespace.rsplit(":", 1)[-1])


async def test_a_second_call_within_the_ttl_makes_no_request(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim, clock: Clock
):
    cache = make_cache(backend, api_keys_ttl=60)
    source = cache.source("slack:T1", distinct_key("a"), account(venice, distinct_key("a")))
    first = await source.api_keys(budget())
    clock.advance(59)
    again = await source.api_keys(budget())
    # Another process on the same backend reads the stored entry, not Venice.
    other = make_cache(backend).source("slack:T1", distinct_key("a"), account(venice))
    stored = await other.api_keys(budget())
    assert len(calls(sim, API_KEYS_PATH)) == 1
    assert again.value == stored.value == first.value
    assert again.fetched_at == stored.fetched_at == first.fetched_at
    support = next(key for key in stored.value.keys if key.name == "Support bot")
    assert support.cap_share("diem") == next(
        key for key in first.value.keys if key.name == "Support bot"
    ).cap_share("diem")
    clock.advance(2)
    later = await source.api_keys(budget())
    assert len(calls(sim, API_KEYS_PATH)) == 2
    assert later.fetched_at > first.fetched_at


async def test_api_keys_and_balance_are_separate_entries(
    backend: CacheBackend, make_cache: CacheFactory, venice: VeniceClient, sim
):
    source = make_cache(backend).source("env", distinct_key("b"), account(venice))
    await source.balance(budget())
    await source.api_keys(budget())
    await source.balance(budget())
    await source.api_keys(budget())
    assert len(calls(sim, BALANCE_PATH)) == 1
    assert len(calls(sim, API_KEYS_PATH)) == 1


async def test_venice_failing_is_answered_stale_but_a_refusal_is_not(
    backend: CacheBackend, make_cache: CacheFactory, venice_once: VeniceClient, sim, clock: Clock
):
    venice = venice_once  # one attempt per fetch: the 503 lands at once, not a retry's timeout
    key = distinct_key("c")
    source = make_cache(backend, api_keys_ttl=60).source("env", key, account(venice, key))
    first = await source.api_keys(budget())
    clock.advance(120)
    sim.simulator.faults.fail_next(503, times=10)
    stale = await source.api_keys(budget())
    assert stale.value == first.value
    assert stale.stale is not None
    assert "503" in stale.stale.reason
    sim.simulator.faults.clear()
    inference = SecretStr("sim-inference-cached")
    refused = make_cache(backend).source("env", inference, account(venice, inference))
    with pytest.raises(AdminKeyRequired):
        await refused.api_keys(budget())


async def test_nothing_in_redis_names_the_key(
    make_cache: CacheFactory, venice: VeniceClient, sim, redis_url: str, namespace: str
):
    from bot.cache.backends import RedisBackend

    key = distinct_key(namespace)
    backend = RedisBackend.from_url(SecretStr(redis_url), timeout=1.0)
    client = Redis.from_url(redis_url)
    try:
        source = make_cache(backend).source("env", key, account(venice, key))
        await source.api_keys(budget())
        names = [name async for name in client.scan_iter(match=f"{namespace}*", count=500)]
        values = [await client.get(name) or b"" for name in names]
    finally:
        await client.aclose()
        await backend.aclose()
    secret = key.get_secret_value().encode()
    assert any(b"api-keys" in name for name in names)
    assert all(secret not in name for name in names)
    assert all(secret not in value for value in values)
    assert b"sim-admin" not in b"".join(names + values)


def test_the_entry_key_holds_a_fingerprint_never_the_key():
    key = SecretStr("VENICE_" + "ADMIN_KEY_" + "fedcba9876543210")
    entry = TenantKeys.build("ns", "slack:T1", SECRET, key).api_keys()
    for name in (entry.entry, entry.lock, entry.failure):
        assert key.get_secret_value() not in name
        assert "fedcba9876543210" not in name
    assert entry != TenantKeys.build("ns", "slack:T1", SECRET, key).balance()


@pytest.mark.parametrize(("ttl", "requests"), [("60", 1), ("0", 2)])
async def test_the_setting_sets_the_ttl(sim, ttl: str, requests: int):
    settings = Settings.model_validate(
        {"VENICE_API_BASE": sim.base_url, "VENICE_BOT_API_KEYS_TTL": ttl}
    )
    runtime = Runtime.build(settings)
    try:
        source = runtime.source_for(SecretStr("sim-admin-team"))
        assert source is not None
        await source.api_keys(budget())
        await source.api_keys(budget())
    finally:
        await runtime.aclose()
    assert len(calls(sim, API_KEYS_PATH)) == requests
