"""The cache as a user meets it: real `venice-bot ask` processes sharing one Redis."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.cache.support import BALANCE_PATH, USAGE_PATH, calls, redis_contents
from tests.services import PrivateRedis
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def simulator() -> Iterator[RunningSimulator]:
    # Time stands still in this Venice, so two fetches of a period give the same figures.
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


def cli_env(
    simulator: RunningSimulator,
    redis: PrivateRedis | None,
    tmp_path: Path,
    key: str = "sim-admin",
    **settings: str,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "LOG_", "REDIS_"))}
    env |= {
        "VENICE_API_BASE": simulator.base_url,
        "VENICE_API_KEY": key,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'venice-bot.db'}",
    }
    if redis is not None:
        env["REDIS_URL"] = redis.url
    return env | settings


def start_ask(text: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "ask", text],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def ask(text: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "ask", text],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def usage_queries(simulator: RunningSimulator) -> Counter[str]:
    """How many times each distinct usage-analytics query reached Venice."""
    return Counter(json.dumps(query, sort_keys=True) for query in calls(simulator, USAGE_PATH))


def test_six_processes_asking_together_cost_one_venice_call_per_query(
    simulator: RunningSimulator, private_redis: PrivateRedis, tmp_path: Path
):
    simulator.simulator.faults.latency = 0.6  # long enough for all six to overlap
    env = cli_env(simulator, private_redis, tmp_path)
    processes = [start_ask("usage 30d", env) for _ in range(6)]
    results = [(process.wait(timeout=30), *process.communicate()) for process in processes]
    for status, stdout, stderr in results:
        assert status == 0, stderr
        assert "As of" in stdout
    first = usage_queries(simulator)
    # `usage 30d` asks for the period and the 30 days before it: each exactly once.
    assert {"lookback": "30d"} in calls(simulator, USAGE_PATH)
    assert set(first.values()) == {1}, first
    assert len(first) == 2

    simulator.simulator.faults.latency = 0
    again = ask("usage 30d", env)
    assert again.returncode == 0, again.stderr
    assert usage_queries(simulator) == first  # a 7th: no call at all

    week = ask("usage 7d", env)
    assert week.returncode == 0, week.stderr
    added = usage_queries(simulator) - first
    assert added[json.dumps({"lookback": "7d"})] == 1


def test_balance_past_its_freshness_survives_venice_failing_with_a_stale_marker(
    simulator: RunningSimulator, private_redis: PrivateRedis, tmp_path: Path
):
    # A short budget keeps the client's retries of the 500s (then the stale answer) quick.
    env = cli_env(
        simulator,
        private_redis,
        tmp_path,
        VENICE_BOT_BALANCE_TTL="1",
        VENICE_BOT_REQUEST_BUDGET="1",
    )
    first = ask("balance", env)
    assert first.returncode == 0, first.stderr
    httpx.post(
        simulator.base_url.replace("/api/v1", "/_sim/faults"),
        json={"fail": [{"status": 500, "times": 50}]},
    ).raise_for_status()
    time.sleep(1.05)
    stale = ask("balance", env)
    assert stale.returncode == 0, stale.stderr
    assert "Stale: data from" in stale.stdout
    assert "HTTP 500" in stale.stdout
    figures = [line for line in first.stdout.splitlines() if "DIEM left today" in line]
    assert figures
    assert figures[0] in stale.stdout  # the cached figures, not new ones
    assert "Traceback" not in stale.stdout + stale.stderr


def test_with_redis_killed_ask_answers_from_venice_without_delay_or_traceback(
    simulator: RunningSimulator, private_redis: PrivateRedis, tmp_path: Path
):
    env = cli_env(simulator, private_redis, tmp_path)
    started = time.monotonic()
    warm = ask("usage 7d", env)
    with_redis = time.monotonic() - started
    assert warm.returncode == 0, warm.stderr
    private_redis.stop()
    started = time.monotonic()
    result = ask("usage 14d", env)
    without_redis = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "As of" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert without_redis < with_redis + 1.0  # well under the 2 s the issue allows
    assert str(private_redis.port) not in result.stderr  # the warning names no address


def test_no_redis_key_or_value_holds_the_venice_key(
    simulator: RunningSimulator, private_redis: PrivateRedis, tmp_path: Path
):
    canary = "sim-admin-team-" + secrets.token_hex(12)
    env = cli_env(simulator, private_redis, tmp_path, key=canary)
    result = ask("balance", env)
    assert result.returncode == 0, result.stderr
    # A failed fetch leaves a failure note: scan that too (504 is not retried: quick).
    simulator.simulator.faults.fail_next(504, times=10)
    failed = ask("usage 3d", env)
    assert failed.returncode == 1
    assert calls(simulator, BALANCE_PATH)
    stored = _contents(private_redis)
    assert len(stored) >= 3
    assert any(key.endswith(b":failed") for key, _ in stored)
    secret_part = canary.removeprefix("sim-admin-team-").encode()
    for key, value in stored:
        assert canary.encode() not in key + value
        assert secret_part not in key + value


def _contents(redis: PrivateRedis) -> list[tuple[bytes, bytes]]:
    import asyncio

    return asyncio.run(redis_contents(redis.url))
