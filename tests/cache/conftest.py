"""Fixtures for the cache tests: both backends (Redis on a real server, keys namespaced per
test), a simulator whose calls are counted, and caches wired like Runtime wires them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from pydantic import SecretStr

from bot.cache import BillingCache, CacheBackend, CacheCounters, FreshnessPolicy, MemoryBackend
from bot.cache.backends import RedisBackend
from bot.venice.client import VeniceClient, make_http_client
from tests.cache.support import SECRET, Clock, delete_namespace
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread


@pytest.fixture
def namespace() -> str:
    """A key prefix no other test (or test run) uses."""
    return f"venice-bot-test:{uuid.uuid4().hex}"


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest, namespace: str) -> AsyncIterator[CacheBackend]:
    """Each backend in turn: the in-process one, and Redis on the shared test server."""
    if request.param == "memory":
        yield MemoryBackend()
        return
    url = request.getfixturevalue("redis_url")
    redis = RedisBackend.from_url(SecretStr(url), timeout=1.0)
    try:
        yield redis
    finally:
        await redis.aclose()
        await delete_namespace(url, namespace)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def served_simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(Simulator(seed=7)) as running:
        yield running


@pytest.fixture
def sim(served_simulator: RunningSimulator) -> RunningSimulator:
    """The module's simulator with no faults, no latency and no recorded calls."""
    served_simulator.simulator.faults.clear()
    served_simulator.simulator.calls.clear()
    return served_simulator


@pytest.fixture
async def venice(sim: RunningSimulator) -> AsyncIterator[VeniceClient]:
    """A Venice client of the simulator."""
    async with make_http_client() as http:
        yield VeniceClient(http, sim.base_url)


CacheFactory = Callable[..., BillingCache]


@pytest.fixture
def make_cache(namespace: str, clock: Clock) -> CacheFactory:
    """Builds a BillingCache over a backend, as Runtime does, on the test's clock."""

    def build(
        backend: CacheBackend,
        *,
        balance_ttl: float = 60,
        usage_ttl: float = 600,
        api_keys_ttl: float = 60,
        stale_for: float = 3600,
        flight_budget: float = 5,
    ) -> BillingCache:
        policy = FreshnessPolicy.of(
            balance_ttl=balance_ttl,
            usage_ttl=usage_ttl,
            api_keys_ttl=api_keys_ttl,
            stale_for=stale_for,
        )
        return BillingCache(
            backend,
            fingerprint_secret=SECRET,
            policy=policy,
            flight_budget=flight_budget,
            counters=CacheCounters(),
            namespace=namespace,
            clock=clock,
        )

    return build


@pytest.fixture(params=["memory", "redis"])
async def shared_backends(
    request: pytest.FixtureRequest, namespace: str
) -> AsyncIterator[tuple[CacheBackend, CacheBackend]]:
    """Two processes' backends over one store: one MemoryBackend seen by both, or two Redis
    clients (two connection pools) of the shared test server."""
    if request.param == "memory":
        memory = MemoryBackend()
        yield memory, memory
        return
    url = request.getfixturevalue("redis_url")
    first = RedisBackend.from_url(SecretStr(url), timeout=1.0)
    second = RedisBackend.from_url(SecretStr(url), timeout=1.0)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()
        await delete_namespace(url, namespace)


@pytest.fixture
async def venice_once(sim: RunningSimulator) -> AsyncIterator[VeniceClient]:
    """A Venice client that makes one attempt per fetch (no retries): failures land at once."""
    async with make_http_client() as http:
        yield VeniceClient(http, sim.base_url, max_attempts=1)
