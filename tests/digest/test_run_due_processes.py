"""Exactly once, across processes: several `venice-bot digest run-due` at once against real
PostgreSQL and Redis, the simulator as Venice, and local fakes of the Slack Web API and the
Discord HTTP API. Every due digest is posted once; a re-run posts nothing; a process killed after
claiming loses nothing, because its lease runs out and another process finishes the job."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from bot.digest.runner import LEASE
from bot.secrets import generate_master_key
from bot.venice.simulator import Simulator
from bot.venice.simulator.accounts import TEAM_KEY
from bot.venice.simulator.server import RunningSimulator, start_in_thread
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.services import postgres_database
from tests.store.conftest import asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
OWN_VARIABLES = ("VENICE_", "LOG_", "DATABASE_URL", "REDIS_URL", "SLACK_", "DISCORD_", "DIGEST_")
SLACK = f"slack:{TEAM_ID}"
DISCORD = "discord:112233445566778899"
# The first group is due at BASE (local 2 hours from now, in two zones, one with a half-hour
# offset); the second 3 minutes later, after the killed process's `--now`.
SLACK_CHANNELS = ("C0DIGEST1", "C0DIGEST2", "C0DIGEST3")
DISCORD_CHANNELS = ("1300000000000000001", "1300000000000000002", "1300000000000000003")


def _environment(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    return base | extra


def _cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def _start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, which every process opens by URL."""
    with postgres_database(postgres_url, "vb_digest") as url:
        yield url


def _control(simulator: RunningSimulator) -> str:
    return simulator.base_url.removesuffix("/api/v1") + "/_sim"


def _local(base: datetime, zone: str) -> str:
    return base.astimezone(ZoneInfo(zone)).strftime("%H:%M")


async def _leased(database_url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM digest_schedules WHERE lease_owner IS NOT NULL"
        )
        return count
    finally:
        await connection.close()


async def _outcomes(database_url: str) -> Counter[str]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT outcome FROM digest_deliveries")
        return Counter(row["outcome"] for row in rows)
    finally:
        await connection.close()


def _slack_posts(fake: FakeSlack) -> Counter[str]:
    return Counter(str(call.params.get("channel")) for call in fake.calls_to("chat.postMessage"))


def _discord_posts(fake: FakeDiscord) -> Counter[str]:
    return Counter(
        request.path.split("/")[2]
        for request in fake.recorded("POST", "/channels/")
        if request.path.endswith("/messages")
    )


@pytest.mark.timeout(300)
def test_three_processes_post_each_digest_once_even_after_one_is_killed(
    database_url: str, redis_url: str
) -> None:
    base = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    later = base + timedelta(minutes=3)
    frozen = base + timedelta(minutes=10)
    bot_token = "xoxb-" + "digest-" + secrets.token_hex(8)
    discord_token = "discord." + "digest." + secrets.token_hex(8)
    slack = FakeSlack().start()
    try:
        with (
            start_in_thread(Simulator(clock=lambda: frozen)) as simulator,
            FakeDiscord(discord_token).running() as discord,
        ):
            env = _environment(
                DATABASE_URL=database_url,
                REDIS_URL=redis_url,
                VENICE_API_BASE=simulator.base_url,
                VENICE_BOT_MASTER_KEYS=generate_master_key("k1").encoded(),
                SLACK_BOT_TOKEN=bot_token,
                SLACK_SIGNING_SECRET="signing-" + secrets.token_hex(8),
                SLACK_API_URL=slack.api_url,
                DISCORD_TOKEN=discord_token,
                DISCORD_API_URL=discord.base_url,
                LOG_LEVEL="INFO",
            )
            _prepare(env, base, later)
            _kill_one_after_it_claimed(env, simulator, database_url, base)
            expected_slack = Counter(dict.fromkeys(SLACK_CHANNELS, 1))
            expected_discord = Counter(dict.fromkeys(DISCORD_CHANNELS, 1))
            # The killed process may have died holding the cache's fetch lock for its Venice key:
            # the others wait for that lease, or retry a minute later (their --now moves on).
            now = base + LEASE
            said = ""
            for _ in range(6):
                now += timedelta(minutes=1)
                said = _three_at_once(env, now)
                posts = _slack_posts(slack) + _discord_posts(discord)
                assert all(count == 1 for count in posts.values()), said
                if (
                    _slack_posts(slack) == expected_slack
                    and _discord_posts(discord) == expected_discord
                ):
                    break
            assert _slack_posts(slack) == expected_slack, said
            assert _discord_posts(discord) == expected_discord, said
            # Each digest came with its chart, uploaded once.
            assert len(slack.calls_to("files.completeUploadExternal")) == len(SLACK_CHANNELS)
            outcomes = asyncio.run(_outcomes(database_url))
            assert outcomes == Counter({"posted": len(SLACK_CHANNELS) + len(DISCORD_CHANNELS)})

            # A re-run, even a little later, posts nothing more.
            _three_at_once(env, now + timedelta(minutes=1))
            assert _slack_posts(slack) == expected_slack
            assert _discord_posts(discord) == expected_discord
    finally:
        slack.stop()


def _prepare(env: dict[str, str], base: datetime, later: datetime) -> None:
    upgraded = _cli("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    for workspace in (SLACK, DISCORD):
        key = TEAM_KEY + "-" + secrets.token_hex(6)
        stored = _cli("keys", "set", workspace, env=env, stdin=key)
        assert stored.returncode == 0, stored.stderr
    plan = [
        (SLACK, SLACK_CHANNELS[0], base, "Europe/Madrid"),
        (SLACK, SLACK_CHANNELS[1], base, "Asia/Kolkata"),
        (SLACK, SLACK_CHANNELS[2], later, "America/New_York"),
        (DISCORD, DISCORD_CHANNELS[0], base, "Australia/Lord_Howe"),
        (DISCORD, DISCORD_CHANNELS[1], base, "Europe/Madrid"),
        (DISCORD, DISCORD_CHANNELS[2], later, "Asia/Kolkata"),
    ]
    for workspace, channel, at, zone in plan:
        done = _cli(
            "digest", "set", workspace, "--channel", channel,
            "--at", _local(at, zone), "--tz", zone, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def _kill_one_after_it_claimed(
    env: dict[str, str], simulator: RunningSimulator, database_url: str, base: datetime
) -> None:
    """A process claims the first group at BASE, then hangs on a slow Venice and is killed."""
    httpx.post(f"{_control(simulator)}/faults", json={"latency": 20}).raise_for_status()
    victim = _start("digest", "run-due", "--now", base.isoformat(), env=env)
    try:
        deadline = time.monotonic() + 60
        while asyncio.run(_leased(database_url)) < 4:
            assert victim.poll() is None, victim.communicate()
            assert time.monotonic() < deadline, "the first process never claimed its digests"
            time.sleep(0.2)
        assert victim.poll() is None, "the first process finished before it could be killed"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
    httpx.delete(f"{_control(simulator)}/faults").raise_for_status()


def _three_at_once(env: dict[str, str], now: datetime) -> str:
    """Run three `run-due` processes together; their output, for failure messages."""
    processes = [_start("digest", "run-due", "--now", now.isoformat(), env=env) for _ in range(3)]
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert "Traceback" not in out + err, err
        assert process.returncode == 0, out + err
        outputs.append(out + err)
    return "\n".join(outputs)
