"""Helpers the cache tests share: a movable clock, the simulator's call log, Redis clean-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from redis.asyncio import Redis

from bot.venice.client import VeniceAccount, VeniceClient
from bot.venice.source import BillingSource
from venice_simulator.server import RunningSimulator

SECRET = b"test fingerprint secret"
ADMIN = SecretStr("sim-admin")
USAGE_PATH = "/billing/usage-analytics"
BALANCE_PATH = "/billing/balance"
API_KEYS_PATH = "/api_keys"


@dataclass
class Clock:
    """Real UTC time plus an offset a test may advance (Venice stamps answers in real time)."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def calls(sim: RunningSimulator, path: str) -> list[dict[str, str]]:
    """The queries of the calls the simulator saw on PATH, oldest first."""
    return [call.query for call in sim.simulator.calls if call.path == path]


def account(venice: VeniceClient, key: SecretStr = ADMIN) -> BillingSource:
    """The real Venice source of KEY (against the simulator)."""
    return VeniceAccount(venice, key)


async def delete_namespace(url: str, namespace: str) -> None:
    """Remove one test's keys from a shared Redis (never FLUSHDB: others use it too)."""
    client = Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


async def redis_contents(url: str) -> list[tuple[bytes, bytes]]:
    """Every key of a (private) Redis with its value as bytes (string keys only)."""
    client = Redis.from_url(url)
    try:
        found = []
        async for key in client.scan_iter(count=500):
            value = await client.get(key)
            found.append((key, value or b""))
        return found
    finally:
        await client.aclose()
