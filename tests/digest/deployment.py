"""A deployment for `venice-bot digest run-due` processes: a PostgreSQL database (the shared
server's, or a private server a test may stop), the shared Redis, the Venice simulator with a
pinned clock, and local fakes of the Slack Web API and the Discord HTTP API. Each process is the
real CLI, started with `python -m adapters.cli`, so a test can `kill -9` it at any moment."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg

from adapters.slack.poster import EVENT_TYPE
from bot.secrets import generate_master_key
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.store.conftest import asyncpg_dsn
from venice_simulator import Simulator
from venice_simulator.accounts import TEAM_KEY
from venice_simulator.server import RunningSimulator, start_in_thread

ROOT = Path(__file__).resolve().parents[2]
OWN_VARIABLES = ("VENICE_", "LOG_", "DATABASE_URL", "REDIS_URL", "SLACK_", "DISCORD_", "DIGEST_")
SLACK = f"slack:{TEAM_ID}"
DISCORD = "discord:112233445566778899"


@dataclass
class Deployment:
    """The services every process of one deployment shares, and its environment."""

    env: dict[str, str]
    database_url: str
    slack: FakeSlack
    discord: FakeDiscord
    simulator: RunningSimulator

    @property
    def control(self) -> str:
        """The simulator's control API (`/_sim`)."""
        return self.simulator.base_url.removesuffix("/api/v1") + "/_sim"

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run `venice-bot ARGS` to the end; never a traceback."""
        result = subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `venice-bot ARGS` in the background."""
        return subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def prepare(self) -> None:
        """Migrate the database and connect a Venice key to the Slack and Discord workspaces."""
        upgraded = self.cli("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        for workspace in (SLACK, DISCORD):
            key = TEAM_KEY + "-" + secrets.token_hex(6)
            stored = self.cli("keys", "set", workspace, stdin=key)
            assert stored.returncode == 0, stored.stderr

    def schedule(self, workspace: str, channel: str, at: datetime, zone: str = "UTC") -> None:
        """CHANNEL's digest at AT's local time in ZONE, every day."""
        local = at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
        done = self.cli(
            "digest", "set", workspace, "--channel", channel, "--at", local, "--tz", zone
        )
        assert done.returncode == 0, done.stderr

    def run_due(self, now: datetime, processes: int = 1) -> list[subprocess.CompletedProcess[str]]:
        """PROCESSES `digest run-due --now NOW` at once, to the end; never a traceback."""
        started = [
            self.start("digest", "run-due", "--now", now.isoformat()) for _ in range(processes)
        ]
        done = []
        for process in started:
            out, err = process.communicate(timeout=180)
            assert "Traceback" not in out + err, err
            done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
        return done

    def digests_in_slack(self) -> Counter[str]:
        """Digest messages (marked with a delivery) per Slack channel."""
        return Counter(
            channel
            for channel, messages in self.slack.channels.items()
            for message in messages
            if (message.get("metadata") or {}).get("event_type") == EVENT_TYPE
        )

    def charts_in_slack(self) -> Counter[str]:
        """Charts shared per Slack channel."""
        return Counter(shared.channel for shared in self.slack.shared_files())

    def digests_in_discord(self) -> Counter[str]:
        """Digest messages per Discord channel (DMs to admins not counted)."""
        dms = set(self.discord.dm_channels.values())
        return Counter(p.channel_id for p in self.discord.posted() if p.channel_id not in dms)

    def charts_in_discord(self) -> Counter[str]:
        return Counter(p.channel_id for p in self.discord.posted() if p.files)

    def deliveries(self) -> Counter[tuple[str, str | None]]:
        """(state, chart) of every delivery record."""
        return asyncio.run(_deliveries(self.database_url))


async def _deliveries(database_url: str) -> Counter[tuple[str, str | None]]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch("SELECT state, chart FROM deliveries")
        return Counter((row["state"], row["chart"]) for row in rows)
    finally:
        await connection.close()


async def sending_by(database_url: str, pid: int) -> int:
    """How many deliveries the process PID recorded `sending` (posts on their way)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM deliveries WHERE state = 'sending' AND owner LIKE $1",
            f"%:{pid}:%",
        )
        return count
    finally:
        await connection.close()


async def leased(database_url: str) -> int:
    """How many schedules some process holds a lease on."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM digest_schedules WHERE lease_owner IS NOT NULL"
        )
        return count
    finally:
        await connection.close()


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL PROCESS (no clean-up of any kind) and reap it."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)


def environment(**extra: str) -> dict[str, str]:
    """This process's environment without the bot's own variables, plus EXTRA."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    return base | extra


@contextmanager
def deployed(
    database_url: str, redis_url: str, *, frozen: datetime, prepare: bool = True, **settings: str
) -> Iterator[Deployment]:
    """A deployment on DATABASE_URL and REDIS_URL, the simulator's clock at FROZEN, with more
    SETTINGS (environment variables) for every process; PREPARE: migrated, with keys connected
    through the CLI (`Deployment.prepare`), else left to the test."""
    bot_token = "xoxb-" + "faults-" + secrets.token_hex(8)
    discord_token = "discord." + "faults." + secrets.token_hex(8)
    slack = FakeSlack().start()
    try:
        with (
            start_in_thread(Simulator(clock=lambda: frozen)) as simulator,
            FakeDiscord(discord_token).running() as discord,
        ):
            env = environment(
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
                **settings,
            )
            deployment = Deployment(env, database_url, slack, discord, simulator)
            if prepare:
                deployment.prepare()
            yield deployment
    finally:
        slack.stop()
