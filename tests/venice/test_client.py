"""VeniceClient against the Venice simulator over real HTTP: retries, budgets and error mapping."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot import __version__
from bot.deadline import Deadline
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    InvalidPeriod,
    PaymentRequired,
    QueryTimedOut,
    RateLimited,
    VeniceFailing,
    VeniceNetworkError,
    VeniceTimeout,
)
from bot.venice.client import VeniceAccount, VeniceClient, make_http_client
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.source import BillingSource, UsageQuery
from venice_simulator import EMPTY_KEY, INFERENCE_KEY, TEAM_KEY, USD_KEY, Simulator
from venice_simulator.server import start_in_thread

ADMIN = SecretStr(TEAM_KEY)
SEVEN_DAYS = UsageQuery("7d")


@pytest.fixture(scope="module")
def shared_server():
    with start_in_thread(Simulator(seed=7)) as running:
        yield running


@pytest.fixture
def sim(shared_server):
    """The module's simulator, without faults or recorded calls left by an earlier test."""
    shared_server.simulator.faults.clear()
    shared_server.simulator.calls.clear()
    return shared_server.simulator, shared_server.base_url


@pytest.fixture
async def client(sim):
    _, base_url = sim
    async with make_http_client() as http:
        yield VeniceClient(http, base_url)


@pytest.fixture
def simulator(sim):
    return sim[0]


def statuses(simulator):
    return [call.status for call in simulator.calls]


@pytest.mark.parametrize("key", [TEAM_KEY, USD_KEY, EMPTY_KEY])
async def test_balance_and_usage_of_each_account(client, key):
    before = datetime.now(UTC)
    account: BillingSource = VeniceAccount(client, SecretStr(key))
    balance = await account.balance(Deadline.after(5))
    usage = await account.usage(SEVEN_DAYS, Deadline.after(5))
    after = datetime.now(UTC)
    assert isinstance(balance.value, Balance)
    assert isinstance(usage.value, UsageAnalytics)
    for fetched in (balance, usage):
        assert fetched.fetched_at.tzinfo is not None
        assert before <= fetched.fetched_at <= after
        assert fetched.stale is None
    days = [row.day for row in usage.value.by_date]
    assert days == sorted(days)
    assert len(days) <= 7


async def test_usage_over_explicit_dates(client, simulator):
    today = datetime.now(UTC).date()
    query = UsageQuery(start_date=today.replace(day=1).isoformat(), end_date=today.isoformat())
    fetched = await client.get_usage(ADMIN, query, Deadline.after(5))
    assert all(row.day <= today for row in fetched.value.by_date)
    assert simulator.calls[-1].query == {"startDate": query.start_date, "endDate": query.end_date}


async def test_user_agent_names_the_bot_and_its_version(client, simulator):
    await client.get_balance(ADMIN, Deadline.after(5))
    assert f"venice-bot/{__version__}" in simulator.calls[-1].user_agent


async def test_rate_limit_is_waited_out_then_answered(client, simulator):
    simulator.faults.fail_next(429, retry_after=0.3)
    started = time.monotonic()
    await client.get_balance(ADMIN, Deadline.after(3))
    assert time.monotonic() - started >= 0.3
    assert statuses(simulator) == [429, 200]


async def test_rate_limit_longer_than_the_budget_is_reported_at_once(client, simulator):
    simulator.faults.fail_next(429, retry_after=30)
    started = time.monotonic()
    with pytest.raises(RateLimited) as raised:
        await client.get_balance(ADMIN, Deadline.after(2))
    assert time.monotonic() - started < 0.5
    assert raised.value.retry_after == pytest.approx(30, abs=1)
    assert statuses(simulator) == [429]


async def test_server_error_is_retried(client, simulator):
    simulator.faults.fail_next(500)
    fetched = await client.get_usage(ADMIN, SEVEN_DAYS, Deadline.after(3))
    assert isinstance(fetched.value, UsageAnalytics)
    assert statuses(simulator) == [500, 200]


async def test_persistent_server_error_gives_up_within_the_budget(client, simulator):
    simulator.faults.fail_next(500, times=100)
    started = time.monotonic()
    with pytest.raises(VeniceFailing) as raised:
        await client.get_balance(ADMIN, Deadline.after(1))
    assert time.monotonic() - started < 1.1
    assert raised.value.status == 500
    assert 2 <= len(simulator.calls) <= 4


async def test_query_timeout_504_is_not_retried(client, simulator):
    simulator.faults.fail_next(504, times=5)
    with pytest.raises(QueryTimedOut):
        await client.get_usage(ADMIN, UsageQuery("90d"), Deadline.after(3))
    assert statuses(simulator) == [504]


async def test_slow_answer_times_out_at_the_budget():
    # A server of its own: the slow answer is still being written after the test gives up.
    simulator = Simulator(seed=7)
    simulator.faults.latency = 1.0
    with start_in_thread(simulator) as running:
        async with make_http_client() as http:
            client = VeniceClient(http, running.base_url)
            started = time.monotonic()
            with pytest.raises(VeniceTimeout):
                await client.get_balance(ADMIN, Deadline.after(0.3))
            elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 0.6


async def test_closed_port_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with make_http_client() as http:
        client = VeniceClient(http, f"http://127.0.0.1:{port}/api/v1")
        started = time.monotonic()
        with pytest.raises(VeniceNetworkError):
            await client.get_balance(ADMIN, Deadline.after(0.6))
        assert time.monotonic() - started < 0.7


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (INFERENCE_KEY, AdminKeyRequired),
        ("VENICE_ADMIN_KEY_not-a-real-one", BadKey),
        ("", PaymentRequired),
    ],
)
async def test_key_problems_are_told_apart_after_one_call(client, simulator, key, error):
    with pytest.raises(error):
        await client.get_balance(SecretStr(key), Deadline.after(3))
    assert len(simulator.calls) == 1


async def test_period_venice_refuses_carries_its_message_after_one_call(client, simulator):
    with pytest.raises(InvalidPeriod) as raised:
        await client.get_usage(ADMIN, UsageQuery("91d"), Deadline.after(3))
    detail = raised.value.detail
    assert detail
    assert "lookback" in detail.lower()
    assert "90" in detail
    assert detail in raised.value.message
    assert statuses(simulator) == [400]


async def test_logs_over_real_http_never_show_the_key(client, simulator, caplog):
    caplog.set_level(logging.DEBUG)
    key = ADMIN
    simulator.faults.fail_next(500)
    await client.get_balance(key, Deadline.after(3))
    assert "retrying" in caplog.text
    assert "Bearer" not in caplog.text
    assert key.get_secret_value() not in caplog.text
