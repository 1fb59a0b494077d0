"""The team lock of Slack's token rotation is the bot's one lock across processes (LeaseLock on
Redis): a second process waits for it, gives up with TokenRotationBusy when it stays taken, and
excludes whoever takes the same key through LeaseLock. On a real Redis."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from adapters.slack.token_rotation import LocalTeamLocks, RedisTeamLocks, TokenRotationBusy
from bot.cache import LeaseLock
from bot.cache.backends import RedisBackend


@pytest.fixture
def prefix() -> str:
    return f"test:{secrets.token_hex(4)}:rotation:"


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[RedisBackend]:
    backend = RedisBackend.from_url(SecretStr(redis_url), timeout=1.0)
    try:
        yield backend
    finally:
        await backend.aclose()


def a_process(url: str, prefix: str, *, lease: float = 5.0) -> RedisTeamLocks:
    """One process's team locks: its own local locks, the shared Redis."""
    return RedisTeamLocks(url, prefix=prefix, lease=lease, local=LocalTeamLocks())


async def test_a_second_process_waits_for_the_team_lock(redis_url: str, prefix: str):
    first, second = a_process(redis_url, prefix), a_process(redis_url, prefix)
    order: list[str] = []

    async def refresh(locks: RedisTeamLocks, name: str) -> None:
        async with locks.hold("slack:T1"):
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    await asyncio.gather(refresh(first, "first"), refresh(second, "second"))

    assert order in (
        ["first in", "first out", "second in", "second out"],
        ["second in", "second out", "first in", "first out"],
    )


async def test_the_team_lock_is_a_lease_lock_under_its_prefix(
    redis_url: str, prefix: str, redis: RedisBackend
):
    elsewhere = LeaseLock(redis, f"{prefix}slack:T1", lease=30)
    assert await elsewhere.take()

    with pytest.raises(TokenRotationBusy):
        async with a_process(redis_url, prefix, lease=0.2).hold("slack:T1"):
            pytest.fail("the lock was held elsewhere")

    assert await elsewhere.release()
    async with a_process(redis_url, prefix).hold("slack:T1"):
        assert await redis.get(f"{prefix}slack:T1") is not None
    assert await redis.get(f"{prefix}slack:T1") is None  # freed on the way out


async def test_a_lock_that_outlived_its_lease_is_left_to_its_new_holder(
    redis_url: str, prefix: str, redis: RedisBackend, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING, logger="adapters.slack.token_rotation")
    later = LeaseLock(redis, f"{prefix}slack:T1", lease=30)

    async with a_process(redis_url, prefix, lease=0.1).hold("slack:T1"):
        await asyncio.sleep(0.2)  # the refresh took longer than its lease
        assert await later.take()

    assert await redis.get(later.key) == later.token
    assert "outlived its lease" in caplog.text
