"""Exactly once under faults, with real processes: `venice-bot digest run-due` killed with
SIGKILL at each step of a delivery (after the claim, after Slack took the message, after the
message was recorded, after Slack took the chart), a PostgreSQL server of the test's own stopped
mid-run and started again, and three processes at once with one killed mid-run. Every channel
ends with exactly one digest message and one chart; none is lost.

The fakes stand where Slack and Discord would: a step is "done by Slack but not known to the
bot" when the fake has done what the call asks and holds its answer back while the test kills
the process (tests/adapters/slack/fake_slack.py `hold`)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.digest.runner import LEASE
from tests.digest.deployment import (
    DISCORD,
    SLACK,
    Deployment,
    deployed,
    kill,
    leased,
    sending_by,
)
from tests.services import PrivatePostgres, postgres_database

# A run due two hours from now (a time of day the simulator's clock has already passed).
BASE = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
AFTER_THE_LEASE = BASE + LEASE + timedelta(minutes=1)
FROZEN = BASE + timedelta(minutes=30)
SLACK_CHANNELS = ("C0FAULT1", "C0FAULT2", "C0FAULT3")
DISCORD_CHANNELS = ("1300000000000000011", "1300000000000000012", "1300000000000000013")


@pytest.fixture
def database_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL database of this test's own, on the shared server."""
    with postgres_database(postgres_url, "vb_faults") as url:
        yield url


@pytest.fixture
def deployment(database_url: str, redis_url: str) -> Iterator[Deployment]:
    with deployed(database_url, redis_url, frozen=FROZEN) as made:
        yield made


def killed_when(deployment: Deployment, reached: Callable[[], bool]) -> None:
    """Start `run-due` at BASE and SIGKILL it as soon as REACHED()."""
    victim = deployment.start("digest", "run-due", "--now", BASE.isoformat())
    try:
        deadline = time.monotonic() + 60
        while not reached():
            assert victim.poll() is None, victim.communicate()
            assert time.monotonic() < deadline, "the step was never reached"
            time.sleep(0.05)
    finally:
        kill(victim)


def once_each(channels: tuple[str, ...]) -> Counter[str]:
    return Counter(dict.fromkeys(channels, 1))


def recovered(deployment: Deployment, expected: int) -> str:
    """Run `run-due` past the dead process's lease until EXPECTED deliveries are done; what the
    runs printed. (A process killed while it fetched from Venice may have died holding the
    cache's fetch lock for that key: the next run waits for its lease, or retries a minute
    later, as a real one would.)"""
    said = []
    for minute in range(5):
        (done,) = deployment.run_due(AFTER_THE_LEASE + timedelta(minutes=minute))
        said.append(done.stdout)
        records = deployment.deliveries()
        finished = sum(n for (state, chart), n in records.items() if _done(state, chart))
        if finished == expected:
            break
    return "".join(said)


@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    "step",
    ["after the claim", "after the message", "after its record", "after the chart"],
)
def test_slack_killed_at_each_step_ends_with_one_message_and_one_chart(
    deployment: Deployment, step: str
):
    for channel in SLACK_CHANNELS:
        deployment.schedule(SLACK, channel, BASE, "Europe/Madrid")
    slack = deployment.slack
    if step == "after the claim":  # building the digest: Venice is slow
        httpx.post(f"{deployment.control}/faults", json={"latency": 20}).raise_for_status()
        killed_when(deployment, lambda: asyncio.run(leased(deployment.database_url)) >= 3)
        httpx.delete(f"{deployment.control}/faults").raise_for_status()
    else:
        method = {
            "after the message": "chat.postMessage",  # Slack took it; the bot never heard
            "after its record": "files.getUploadURLExternal",  # the chart had only begun
            "after the chart": "files.completeUploadExternal",  # Slack shared it; not recorded
        }[step]
        held = slack.hold(method)
        killed_when(deployment, lambda: len(held.held) >= len(SLACK_CHANNELS))
        slack.unhold(method)

    said = recovered(deployment, len(SLACK_CHANNELS))

    assert deployment.digests_in_slack() == once_each(SLACK_CHANNELS), said
    assert deployment.charts_in_slack() == once_each(SLACK_CHANNELS), said
    assert deployment.deliveries() == Counter({("sent", "sent"): len(SLACK_CHANNELS)})
    if step in ("after the message", "after the chart"):
        found = [line for line in said.splitlines() if line.endswith("(found already posted)")]
        assert len(found) == len(SLACK_CHANNELS), said
    # And a later run posts nothing more.
    (again,) = deployment.run_due(AFTER_THE_LEASE + timedelta(minutes=10))
    assert "nothing was due" in again.stdout
    assert deployment.digests_in_slack() == once_each(SLACK_CHANNELS)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("within_nonce_window", [True, False])
def test_discord_killed_after_the_message_ends_with_one_message_and_its_chart(
    deployment: Deployment, within_nonce_window: bool
):
    discord = deployment.discord
    for channel in DISCORD_CHANNELS:
        deployment.schedule(DISCORD, channel, BASE)
    if within_nonce_window:
        # The bot may not read history here: Discord's nonce is what drops the repeat.
        discord.no_history.update(DISCORD_CHANNELS)
    else:
        discord.nonce_window = 0  # recovered after Discord forgot the nonce: found by its link
    discord.hold_messages()
    killed_when(deployment, lambda: discord.held >= len(DISCORD_CHANNELS))
    discord.release()

    said = recovered(deployment, len(DISCORD_CHANNELS))

    assert deployment.digests_in_discord() == once_each(DISCORD_CHANNELS), said
    assert deployment.charts_in_discord() == once_each(DISCORD_CHANNELS), said
    assert deployment.deliveries() == Counter({("sent", None): len(DISCORD_CHANNELS)})


@pytest.mark.timeout(300)
def test_three_processes_with_one_killed_mid_run_post_each_digest_once(
    database_url: str, redis_url: str
):
    channels = tuple(f"C0MANY{n:02}" for n in range(24))
    # Four at a time each: the three share the 24, and the one killed holds posts on their way.
    with deployed(database_url, redis_url, frozen=FROZEN, DIGEST_CONCURRENCY="4") as deployment:
        for channel in channels:
            deployment.schedule(SLACK, channel, BASE, "Asia/Kolkata")
        slack = deployment.slack
        slow = slack.hold("chat.postMessage")  # every message waits for the test to let it go
        processes = [
            deployment.start("digest", "run-due", "--now", BASE.isoformat()) for _ in "abc"
        ]
        victim = processes[0]
        try:
            slow.wait_for(12, timeout=60)  # all three are posting, four messages each
            on_its_way = asyncio.run(sending_by(deployment.database_url, victim.pid))
            kill(victim)  # it dies with posts Slack has taken, unrecorded
        finally:
            slack.unhold("chat.postMessage")
        assert on_its_way == 4
        for process in processes[1:]:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, out + err
            assert "Traceback" not in out + err
        # The two others posted what the dead one had not claimed; its four wait for its lease.
        assert sum(deployment.digests_in_slack().values()) == len(channels)  # Slack has all 24

        said = recovered(deployment, len(channels))

        assert deployment.digests_in_slack() == once_each(channels), said
        assert deployment.charts_in_slack() == once_each(channels), said
        assert deployment.deliveries() == Counter({("sent", "sent"): len(channels)})
        found = [line for line in said.splitlines() if line.endswith("(found already posted)")]
        assert len(found) == on_its_way, said


@pytest.mark.timeout(300)
def test_postgres_stopped_mid_run_then_started_loses_nothing_and_repeats_nothing(
    private_postgres: PrivatePostgres, redis_url: str
):
    channels = tuple(f"C0PG{n:02}" for n in range(40))
    with deployed(private_postgres.url, redis_url, frozen=FROZEN) as deployment:
        for channel in channels:
            deployment.schedule(SLACK, channel, BASE, "Europe/Madrid")
        slack = deployment.slack
        slack.on("chat.postMessage", _slowly(slack.handler_of("chat.postMessage")))
        run = deployment.start("digest", "run-due", "--now", BASE.isoformat())
        slack.wait_for("chat.postMessage", count=8, timeout=60)
        private_postgres.stop()
        out, err = run.communicate(timeout=60)
        assert run.returncode == 1, out + err
        assert "Traceback" not in out + err
        assert "the database could not be written" in err
        posted_while_stopping = sum(deployment.digests_in_slack().values())
        time.sleep(1)
        assert sum(deployment.digests_in_slack().values()) == posted_while_stopping
        assert posted_while_stopping < len(channels)

        private_postgres.start()
        # At the same instant the dead run's leases still hold: nothing is posted twice.
        (same,) = deployment.run_due(BASE)
        assert same.returncode == 0, same.stderr
        assert sum(deployment.digests_in_slack().values()) == posted_while_stopping
        # Five minutes later they have run out: the rest is posted, the uncertain ones found.
        (later,) = deployment.run_due(BASE + timedelta(minutes=5))
        assert later.returncode == 0, later.stderr

        assert deployment.digests_in_slack() == once_each(channels), later.stdout
        assert deployment.charts_in_slack() == once_each(channels), later.stdout
        assert deployment.deliveries() == Counter({("sent", "sent"): len(channels)})


def _done(state: str, chart: str | None) -> bool:
    return state in ("sent", "failed", "skipped") and chart not in ("pending", "sending")


def _slowly(answer: Callable[..., object]) -> Callable[..., object]:
    def slow(call: object) -> object:
        time.sleep(0.15)
        return answer(call)

    return slow
