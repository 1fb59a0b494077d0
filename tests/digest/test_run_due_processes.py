"""Exactly once, across processes: several `venice-bot digest run-due` at once against real
PostgreSQL and Redis, the simulator as Venice, and local fakes of the Slack Web API and the
Discord HTTP API. Every due digest is posted once, in zones with half-hour offsets too; a re-run
posts nothing; a process killed after claiming loses nothing, because its lease runs out and
another process finishes the job. (Kills at each later step: test_delivery_faults.py.)"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.digest.runner import LEASE
from tests.digest.deployment import DISCORD, SLACK, Deployment, deployed, kill, leased
from tests.services import postgres_database

# The first group is due at BASE (local 2 hours from now, in two zones, one with a half-hour
# offset); the second 3 minutes later, after the killed process's `--now`.
BASE = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
SLACK_CHANNELS = ("C0DIGEST1", "C0DIGEST2", "C0DIGEST3")
DISCORD_CHANNELS = ("1300000000000000001", "1300000000000000002", "1300000000000000003")


@pytest.fixture
def deployment(postgres_url: str, redis_url: str) -> Iterator[Deployment]:
    with (
        postgres_database(postgres_url, "vb_digest") as database_url,
        deployed(database_url, redis_url, frozen=BASE + timedelta(minutes=10)) as made,
    ):
        yield made


@pytest.mark.timeout(300)
def test_three_processes_post_each_digest_once_even_after_one_is_killed(deployment: Deployment):
    later = BASE + timedelta(minutes=3)
    plan = [
        (SLACK, SLACK_CHANNELS[0], BASE, "Europe/Madrid"),
        (SLACK, SLACK_CHANNELS[1], BASE, "Asia/Kolkata"),
        (SLACK, SLACK_CHANNELS[2], later, "America/New_York"),
        (DISCORD, DISCORD_CHANNELS[0], BASE, "Australia/Lord_Howe"),
        (DISCORD, DISCORD_CHANNELS[1], BASE, "Europe/Madrid"),
        (DISCORD, DISCORD_CHANNELS[2], later, "Asia/Kolkata"),
    ]
    for workspace, channel, at, zone in plan:
        deployment.schedule(workspace, channel, at, zone)
    _kill_one_after_it_claimed(deployment)
    expected_slack = Counter(dict.fromkeys(SLACK_CHANNELS, 1))
    expected_discord = Counter(dict.fromkeys(DISCORD_CHANNELS, 1))
    # The killed process may have died holding the cache's fetch lock for its Venice key:
    # the others wait for that lease, or retry a minute later (their --now moves on).
    now = BASE + LEASE
    said = ""
    for _ in range(6):
        now += timedelta(minutes=1)
        done = deployment.run_due(now, processes=3)
        said = "\n".join(d.stdout + d.stderr for d in done)
        assert all(d.returncode == 0 for d in done), said
        posts = deployment.digests_in_slack() + deployment.digests_in_discord()
        assert all(count == 1 for count in posts.values()), said
        if (
            deployment.digests_in_slack() == expected_slack
            and deployment.digests_in_discord() == expected_discord
        ):
            break
    assert deployment.digests_in_slack() == expected_slack, said
    assert deployment.digests_in_discord() == expected_discord, said
    # Each digest came with its chart, once.
    assert deployment.charts_in_slack() == expected_slack
    assert deployment.charts_in_discord() == expected_discord
    done_records = Counter({("sent", "sent"): 3, ("sent", None): 3})  # Discord: in the message
    assert deployment.deliveries() == done_records

    # A re-run, even a little later, posts nothing more.
    deployment.run_due(now + timedelta(minutes=1), processes=3)
    assert deployment.digests_in_slack() == expected_slack
    assert deployment.digests_in_discord() == expected_discord


def _kill_one_after_it_claimed(deployment: Deployment) -> None:
    """A process claims the first group at BASE, then hangs on a slow Venice and is killed."""
    httpx.post(f"{deployment.control}/faults", json={"latency": 20}).raise_for_status()
    victim = deployment.start("digest", "run-due", "--now", BASE.isoformat())
    try:
        deadline = time.monotonic() + 60
        while asyncio.run(leased(deployment.database_url)) < 4:
            assert victim.poll() is None, victim.communicate()
            assert time.monotonic() < deadline, "the first process never claimed its digests"
            time.sleep(0.2)
        assert victim.poll() is None, "the first process finished before it could be killed"
    finally:
        kill(victim)
    httpx.delete(f"{deployment.control}/faults").raise_for_status()
