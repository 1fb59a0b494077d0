"""Each alert crossing is posted exactly once, whatever crashes, with real processes: `venice-bot
alert check` killed with SIGKILL at each step of a post (its claim written with the crossing,
`sending` written while the post is on its way, Slack holding the post it took), on a SQLite
file and on PostgreSQL; a PostgreSQL server of the test's own stopped mid-sweep and started
again; and four sweeps at once. Every channel ends with its alert exactly once.

The deployment is the digest fault tests' (tests/digest/deployment.py): the Venice simulator
with a pinned clock, a fake Slack Web API over HTTP (so the real SlackPoster posts, and finds a
post in the channel's history by its metadata), the shared Redis. A step is reached, never
guessed at: the claim through a CLI that stops before writing `sending`
(tests/alerts/paused_cli.py), the post on its way through a fake Slack that has received it and
waits, the post taken through the fake's `hold` (done, its answer kept back)."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from adapters.slack.poster import EVENT_TYPE
from bot.alerts.rules import parse_rule
from bot.secrets import Keyring, SecretBox
from bot.store import Database, WorkspaceStore
from bot.store.alerts import POST_LEASE, AlertStore
from bot.store.tables import deliveries
from tests.adapters.slack.fake_slack import Call, FakeSlack
from tests.digest.deployment import DISCORD, ROOT, SLACK, Deployment, deployed, kill
from tests.services import PrivatePostgres, postgres_database
from venice_simulator.accounts import TEAM_KEY

# The sweeps' instants: today at noon UTC, so that every sweep is of the same UTC day (a new day
# would be a new crossing of `diem used`); the simulator's clock is pinned just after them.
BASE = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
AFTER_THE_LEASE = BASE + POST_LEASE + timedelta(minutes=1)
FROZEN = BASE + timedelta(minutes=10)
# Rules that cross on the simulator's team account, one channel each.
RULES = {
    "C0ALERT1": "usd below 100000",
    "C0ALERT2": "diem used 1%",
    "C0ALERT3": "runway below 90d",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or a PostgreSQL database of this test's own on the shared server."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'alerts.db'}"
        return
    with postgres_database(request.getfixturevalue("postgres_url"), "vb_alertfaults") as url:
        yield url


@pytest.fixture
def deployment(database_url: str, redis_url: str) -> Iterator[Deployment]:
    with deployed(database_url, redis_url, frozen=FROZEN, prepare=False) as made:
        prepare(made, RULES.items())
        yield made


def prepare(
    deployment: Deployment,
    rules: Iterable[tuple[str, str]],
    discord: Iterable[tuple[str, str]] = (),
) -> None:
    """Migrate the database, connect a team key to the Slack workspace and add RULES ((channel,
    rule) pairs) as `db upgrade`, `keys set` and `alert add` would, in this process (quicker);
    DISCORD: rules of the Discord server, which gets a key of its own too."""

    async def made() -> None:
        database = await Database.open(deployment.database_url)
        try:
            await database.upgrade()
            keyring = Keyring.parse(deployment.env["VENICE_BOT_MASTER_KEYS"], source="the test")
            key = SecretStr(f"{TEAM_KEY}-{secrets.token_hex(6)}")  # its own cache entries
            workspaces = WorkspaceStore(database, SecretBox(keyring))
            store = AlertStore(database)
            for workspace, its_rules in ((SLACK, list(rules)), (DISCORD, list(discord))):
                if not its_rules:
                    continue
                await workspaces.save_credential(
                    workspace, key, key_type="admin", set_by="test", verified_at=BASE
                )
                for channel, rule in its_rules:
                    words = tuple(rule.split())
                    await store.add(workspace, channel, parse_rule(words), by="test", now=BASE)
        finally:
            await database.aclose()

    asyncio.run(made())


def alerts_in_slack(slack: FakeSlack) -> Counter[str]:
    """Alert messages (marked with their delivery) per channel."""
    return Counter(
        channel
        for channel, messages in slack.channels.items()
        for message in messages
        if (message.get("metadata") or {}).get("event_type") == EVENT_TYPE
    )


def delivery_states(database_url: str) -> Counter[str]:
    """The state of every delivery record."""

    async def read() -> Counter[str]:
        database = await Database.open(database_url)
        try:
            async with database.engine.connect() as connection:
                rows = (await connection.execute(deliveries.select())).all()
        finally:
            await database.aclose()
        return Counter(row.state for row in rows)

    return asyncio.run(read())


def check(deployment: Deployment, now: datetime) -> subprocess.CompletedProcess[str]:
    """`alert check --now NOW` to the end; never a traceback."""
    return deployment.cli("alert", "check", "--now", now.isoformat())


def once_each(channels: Iterable[str]) -> Counter[str]:
    return Counter(dict.fromkeys(channels, 1))


class Waiting:
    """A fake Slack method that has received its request and waits, without doing what it asks,
    until `release()`: the post is on its way; the platform has not taken it."""

    def __init__(self) -> None:
        self._go = threading.Event()

    def __call__(self, call: Call) -> dict[str, object]:
        self._go.wait(timeout=120)
        return {"ok": False, "error": "request_timeout"}  # its client is gone by then

    def release(self) -> None:
        self._go.set()


def wait_until(victim: subprocess.Popen[str], reached: Callable[[], object], what: str) -> None:
    """Poll REACHED() (a step the victim reaches) while the victim lives; 60 s at most."""
    deadline = time.monotonic() + 60
    while not reached():
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < deadline, f"{what} was never reached"
        time.sleep(0.02)
    assert victim.poll() is None, "the sweep ended before it could be killed"


def killed_at(deployment: Deployment, step: str, tmp_path: Path) -> None:
    """Start `alert check --now BASE` and SIGKILL it at STEP of its first post."""
    args = ("alert", "check", "--now", BASE.isoformat())
    slack = deployment.slack
    if step == "claimed":
        marker = tmp_path / "paused"
        victim = subprocess.Popen(
            [sys.executable, "-m", "tests.alerts.paused_cli", str(marker), *args],
            cwd=ROOT,
            env=deployment.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until(victim, marker.exists, "the claim")
        finally:
            kill(victim)
        return
    if step == "sending":
        default = slack.handler_of("chat.postMessage")
        waiting = Waiting()
        slack.on("chat.postMessage", waiting)
        victim = deployment.start(*args)
        try:
            wait_until(victim, lambda: slack.calls_to("chat.postMessage"), "the post")
        finally:
            kill(victim)
            waiting.release()
            slack.on("chat.postMessage", default)
        return
    held = slack.hold("chat.postMessage")  # Slack takes the post; its answer never comes
    victim = deployment.start(*args)
    try:
        wait_until(victim, lambda: held.held, "the post taken")
    finally:
        kill(victim)
        slack.unhold("chat.postMessage")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("step", ["claimed", "sending", "taken"])
def test_killed_at_each_step_of_a_post_each_crossing_is_posted_once(
    deployment: Deployment, step: str, tmp_path: Path
):
    slack = deployment.slack
    killed_at(deployment, step, tmp_path)
    # The dead process got as far as its first post: Slack has it only once it was taken.
    posted_before = alerts_in_slack(slack)
    assert sum(posted_before.values()) == (1 if step == "taken" else 0)
    assert delivery_states(deployment.database_url) == Counter(
        {"claimed" if step == "claimed" else "sending": 1}
    )

    # Within the dead process's lease its post is left alone: nothing is posted twice.
    same = check(deployment, BASE + timedelta(minutes=1))
    assert same.returncode == 0, same.stdout + same.stderr
    assert alerts_in_slack(slack) == posted_before + once_each(tuple(RULES)[1:]), same.stdout

    # Past it, the next sweep takes the post over: looked for in the channel when it may have
    # gone out (found when Slack took it), posted when it had not.
    history_before = len(slack.calls_to("conversations.history"))
    posts_before = len(slack.calls_to("chat.postMessage"))
    later = check(deployment, AFTER_THE_LEASE)
    assert later.returncode == 0, later.stdout + later.stderr
    assert alerts_in_slack(slack) == once_each(RULES), later.stdout
    looked = len(slack.calls_to("conversations.history")) - history_before
    posted = len(slack.calls_to("chat.postMessage")) - posts_before
    assert (looked, posted) == {
        "claimed": (0, 1),  # never written `sending`: nothing can have gone out
        "sending": (1, 1),  # may have gone out: looked for, not there, posted
        "taken": (1, 0),  # looked for and found: recorded, not posted again
    }[step], later.stdout
    assert delivery_states(deployment.database_url) == Counter({"sent": len(RULES)})


# Rules for the sweeps at once and the database stopped: twelve crossings, one a channel (Slack
# takes about one message a second per channel: the bot paces itself to that).
MANY_CHANNELS = tuple(f"C0MANY{n:02}" for n in range(1, 13))
MANY = [
    (channel, "usd below 100000" if n % 2 else "diem used 1%")
    for n, channel in enumerate(MANY_CHANNELS)
]


@pytest.mark.timeout(120)
def test_four_sweeps_at_once_post_each_crossing_once(database_url: str, redis_url: str):
    with deployed(database_url, redis_url, frozen=FROZEN, prepare=False) as deployment:
        prepare(deployment, MANY)
        slack = deployment.slack
        # Every post waits until all four are posting one: the others race them for the rest.
        held = slack.hold("chat.postMessage")
        sweeps = [deployment.start("alert", "check", "--now", BASE.isoformat()) for _ in "abcd"]
        try:
            held.wait_for(4, timeout=60)
        finally:
            slack.unhold("chat.postMessage")
        said = []
        for sweep in sweeps:
            out, err = sweep.communicate(timeout=60)
            said.append(out + err)
            assert sweep.returncode == 0, out + err
            assert "Traceback" not in out + err
        # Each crossing once in all, each by one of the four.
        assert alerts_in_slack(slack) == once_each(MANY_CHANNELS), "\n".join(said)
        posted = [line for text in said for line in text.splitlines() if line.startswith("fired ")]
        assert len(posted) == len(MANY), "\n".join(said)
        assert all("fired " in out for out in said)  # all four were posting at once
        assert delivery_states(database_url) == Counter({"sent": len(MANY)})


DISCORD_CHANNELS = ("1300000000000000011", "1300000000000000012", "1300000000000000013")


def test_three_sweeps_at_once_on_slack_and_discord_post_each_crossing_once(
    database_url: str, redis_url: str
):
    with deployed(database_url, redis_url, frozen=FROZEN, prepare=False) as deployment:
        prepare(
            deployment, RULES.items(), discord=zip(DISCORD_CHANNELS, RULES.values(), strict=True)
        )
        sweeps = [deployment.start("alert", "check", "--now", BASE.isoformat()) for _ in "abc"]
        said = []
        for sweep in sweeps:
            out, err = sweep.communicate(timeout=60)
            said.append(out + err)
            assert sweep.returncode == 0, out + err
            assert "Traceback" not in out + err
        assert alerts_in_slack(deployment.slack) == once_each(RULES), "\n".join(said)
        # Discord: each alert once into its channel (DMs to admins are not counted).
        assert deployment.digests_in_discord() == once_each(DISCORD_CHANNELS), "\n".join(said)
        fired = [line for text in said for line in text.splitlines() if line.startswith("fired ")]
        assert len(fired) == 2 * len(RULES), "\n".join(said)
        assert delivery_states(database_url) == Counter({"sent": 2 * len(RULES)})
        # A restart re-fires nothing: the next sweeps find every rule firing already.
        again = check(deployment, BASE + timedelta(minutes=5))
        assert "nothing crossed" in again.stdout, again.stdout + again.stderr
        assert alerts_in_slack(deployment.slack) == once_each(RULES)
        assert deployment.digests_in_discord() == once_each(DISCORD_CHANNELS)


class StopsTheDatabase:
    """chat.postMessage that takes the post, and on the NTH waits, before it answers, until the
    test has stopped the database: the sweep hears that Slack took it when it can no longer
    record it."""

    def __init__(self, slack: FakeSlack, nth: int) -> None:
        self.answer = slack.handler_of("chat.postMessage")
        self.nth = nth
        self.calls = 0
        self.reached = threading.Event()
        self.stopped = threading.Event()

    def __call__(self, call: Call) -> object:
        answer = self.answer(call)
        self.calls += 1
        if self.calls == self.nth:
            self.reached.set()
            self.stopped.wait(timeout=60)
        return answer


@pytest.mark.timeout(180)
@pytest.mark.parametrize("nth", [3, len(MANY)], ids=["mid-sweep", "at-its-last-post"])
def test_the_database_stopped_mid_sweep_then_started_posts_each_crossing_once(
    private_postgres: PrivatePostgres, redis_url: str, nth: int
):
    with deployed(private_postgres.url, redis_url, frozen=FROZEN, prepare=False) as deployment:
        prepare(deployment, MANY)
        slack = deployment.slack
        stopping = StopsTheDatabase(slack, nth)
        slack.on("chat.postMessage", stopping)
        quiet = {k: v for k, v in deployment.env.items() if k != "LOG_LEVEL"}  # as a user runs it
        sweep = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli", "alert", "check", "--now", BASE.isoformat()],
            cwd=ROOT,
            env=quiet,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert stopping.reached.wait(timeout=60), f"post {nth} never came"
            private_postgres.stop()
        finally:
            stopping.stopped.set()
        out, err = sweep.communicate(timeout=60)
        assert sweep.returncode == 1, out + err
        assert "Traceback" not in out + err
        said = [line for line in err.splitlines() if line.startswith("venice-bot: ")]
        assert len(said) == 1, err
        assert said[0].startswith("venice-bot: The database could not be written"), err
        # The post Slack took is not reported as failed, nor is anything after it tried.
        assert not [line for line in out.splitlines() if line.startswith("failed ")], out
        assert alerts_in_slack(slack).total() == nth  # the last taken by Slack, not recorded

        private_postgres.start()
        slack.on("chat.postMessage", stopping.answer)
        # At the same instant the stopped sweep's lease still holds its post: the rest is
        # posted, that one is not posted twice.
        same = check(deployment, BASE)
        assert same.returncode == 0, same.stdout + same.stderr
        assert alerts_in_slack(slack) == once_each(MANY_CHANNELS), same.stdout
        states = Counter({"sent": len(MANY) - 1, "sending": 1})
        assert delivery_states(private_postgres.url) == states
        # Past it, the uncertain post is found in the channel, recorded, not posted again.
        posts_before = len(slack.calls_to("chat.postMessage"))
        later = check(deployment, AFTER_THE_LEASE)
        assert later.returncode == 0, later.stdout + later.stderr
        assert len(slack.calls_to("chat.postMessage")) == posts_before, later.stdout
        assert alerts_in_slack(slack) == once_each(MANY_CHANNELS), later.stdout
        assert delivery_states(private_postgres.url) == Counter({"sent": len(MANY)})
