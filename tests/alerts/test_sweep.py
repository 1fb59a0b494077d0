"""One sweep of every rule against the real Venice simulator and a real store (SQLite and the
shared PostgreSQL): what is posted, once; what is fetched, and only that; what a crash, two
processes at once and Venice failing leave behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.alerts.rules import parse_rule
from bot.alerts.states import Reading
from bot.alerts.stored import advance
from bot.alerts.sweep import AlertSweeper, SweepReport
from bot.deadline import Deadline
from bot.errors import StoreUnavailable
from bot.ports import PostFailed
from bot.store import Database, WorkspaceStore
from bot.store.alerts import AlertRuleRecord, AlertStore
from bot.venice.client import VeniceAccount, VeniceClient
from bot.venice.source import BillingSource
from tests.digest.recording_poster import RecordingPoster
from tests.store.conftest import K1, fresh_database, store_with
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

WORKSPACE = "slack:T0ALERTS"
QUIET = "slack:T0QUIET"  # connected, without rules
CHANNEL = "C0ALERTS"
# The draining account (its USD falls all day, topped up at 00:00 UTC) at three moments.
EVENING = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
LATER = EVENING + timedelta(minutes=30)
NEXT_MORNING = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


class Clock:
    """The simulator's time, moved by the test."""

    def __init__(self) -> None:
        self.now = EVENING

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def simulator(clock: Clock) -> Iterator[RunningSimulator]:
    with start_in_thread(Simulator(seed=7, clock=clock)) as running:
        yield running


@dataclass
class AlertWorld:
    database: Database
    workspaces: WorkspaceStore
    alerts: AlertStore
    venice: VeniceClient
    simulator: Simulator
    poster: RecordingPoster

    def source_for(self, key: SecretStr, workspace_id: str) -> BillingSource | None:
        return VeniceAccount(self.venice, key)  # no cache: each sweep's calls reach Venice

    def sweeper(self, owner: str = "A", *, alerts: AlertStore | None = None) -> AlertSweeper:
        return AlertSweeper(
            alerts=alerts or self.alerts,
            workspaces=self.workspaces,
            source_for=self.source_for,
            posters={"slack": self.poster},
            owner=owner,
        )

    async def add(self, rule: str, channel: str = CHANNEL) -> AlertRuleRecord:
        return await self.alerts.add(
            WORKSPACE, channel, parse_rule(tuple(rule.split())), by="test", now=EVENING
        )

    def calls(self) -> list[str]:
        return [call.path for call in self.simulator.calls]


@pytest.fixture(params=["sqlite", "postgresql"])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, simulator: RunningSimulator, clock: Clock
) -> AsyncIterator[AlertWorld]:
    clock.now = EVENING
    simulator.simulator.faults.clear()
    async with fresh_database(request.param, tmp_path, request, prefix="vb_alerts") as database:
        await database.upgrade()
        workspaces = store_with(database, K1)
        for workspace in (WORKSPACE, QUIET):
            await workspaces.save_credential(
                workspace,
                SecretStr("sim-admin-draining"),
                key_type="admin",
                set_by="test",
                verified_at=EVENING,
            )
        async with httpx.AsyncClient(timeout=10) as http:
            yield AlertWorld(
                database=database,
                workspaces=workspaces,
                alerts=AlertStore(database),
                venice=VeniceClient(http, simulator.base_url, max_attempts=1),
                simulator=simulator.simulator,
                poster=RecordingPoster("slack"),
            )
    simulator.simulator.faults.clear()


async def usd_now(world: AlertWorld) -> Decimal:
    account = VeniceAccount(world.venice, SecretStr("sim-admin-draining"))
    balance = await account.balance(Deadline.after(10))
    usd = balance.value.balances.usd
    assert usd is not None
    return usd


async def test_a_crossing_posts_one_alert_and_the_next_sweeps_nothing(world: AlertWorld):
    usd = await usd_now(world)
    rule = await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    report = await world.sweeper().sweep(EVENING)
    assert (report.fired, report.failed) == (1, 0)
    [post] = world.poster.in_channel(CHANNEL)
    assert post.card.title.startswith("USD balance below $")
    assert f"${usd.quantize(Decimal('0.01'))}" in (post.card.summary or "")
    assert post.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{rule.id}:1"
    commands = [action.command for action in post.card.actions]
    snoozes = [f"alert snooze {rule.id} {length}" for length in ("1h", "1d", "1w")]
    assert commands == [*snoozes, f"alert ack {rule.id}", "balance"]
    for _ in range(2):
        again = await world.sweeper("B").sweep(EVENING + timedelta(minutes=5))
        assert again.fired == 0
    assert len(world.poster.in_channel(CHANNEL)) == 1
    [stored] = await world.alerts.list_rules(WORKSPACE)
    assert stored.state == "firing"


async def test_it_recovers_once_when_the_balance_is_topped_up(world: AlertWorld, clock: Clock):
    usd = await usd_now(world)
    await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    await world.sweeper().sweep(EVENING)
    clock.now = NEXT_MORNING  # the draining account is topped up at 00:00 UTC
    report = await world.sweeper().sweep(NEXT_MORNING)
    assert report.recovered == 1
    _, recovered = world.poster.in_channel(CHANNEL)
    assert recovered.card.title.startswith("Recovered: the USD balance below")
    assert str(recovered.delivery).endswith(":1:recovered")
    assert (await world.sweeper().sweep(NEXT_MORNING + timedelta(minutes=5))).recovered == 0


async def test_a_sweep_fetches_only_what_the_rules_need(world: AlertWorld):
    await world.add("usd below 1")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    # One balance call for the workspace with rules; nothing for the one without.
    assert world.calls() == ["/billing/balance"]
    await world.add("runway below 3d")
    await world.add("spend above 10000")
    await world.add("spike")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    assert sorted(world.calls()) == ["/billing/balance", "/billing/usage-analytics"]
    await world.add("key-cap 90%")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    assert sorted(world.calls()) == ["/api_keys", "/billing/balance", "/billing/usage-analytics"]


async def test_two_processes_sweeping_at_once_post_each_crossing_once(world: AlertWorld):
    for rule in ("usd below 100000", "spend above 1", "runway below 90d", "diem used 1%"):
        await world.add(rule)
    other = AlertStore(world.database)
    reports = await asyncio.gather(
        world.sweeper("A").sweep(EVENING), world.sweeper("B", alerts=other).sweep(EVENING)
    )
    assert sum(report.fired for report in reports) == 4
    deliveries = [post.delivery for post in world.poster.in_channel(CHANNEL)]
    assert len(deliveries) == len(set(deliveries)) == 4


async def test_a_post_a_crashed_sweep_left_uncertain_is_found_not_posted_again(world: AlertWorld):
    await world.add("usd below 100000")
    # The platform takes the post, but its answer is lost: the delivery stays `sending`.
    world.poster.take_then_fail(PostFailed("connection reset", uncertain=True))
    first = await world.sweeper("A").sweep(EVENING)
    assert first.failed == 1
    # Inside the post's lease, nobody takes it over.
    await world.sweeper("B").sweep(EVENING + timedelta(minutes=1))
    assert len(world.poster.in_channel(CHANNEL)) == 1
    # After it, the next process looks for the post, finds it, and records it: still one post.
    later = await world.sweeper("B").sweep(EVENING + timedelta(minutes=4))
    assert later.fired == 1
    assert len(world.poster.in_channel(CHANNEL)) == 1
    assert world.poster.looked == [f"alert:{WORKSPACE}:{CHANNEL}:1:1"]


async def test_a_post_that_failed_is_posted_by_a_later_sweep(world: AlertWorld):
    await world.add("usd below 100000")
    world.poster.fail_next(PostFailed("Slack is down", retry_after=30))
    assert (await world.sweeper().sweep(EVENING)).failed == 1
    assert world.poster.in_channel(CHANNEL) == []
    report = await world.sweeper().sweep(EVENING + timedelta(minutes=5))
    assert report.fired == 1
    assert len(world.poster.in_channel(CHANNEL)) == 1


async def test_venice_failing_posts_nothing_and_changes_nothing(world: AlertWorld):
    await world.add("usd below 100000")
    world.simulator.faults.fail_next(500, times=10)
    report: SweepReport = await world.sweeper().sweep(EVENING)
    assert (report.fired, report.unread) == (0, 1)
    [rule] = await world.alerts.list_rules(WORKSPACE)
    assert rule.state == "armed"
    world.simulator.faults.clear()
    assert (await world.sweeper().sweep(EVENING)).fired == 1


async def test_a_workspace_without_a_key_is_reported_not_fetched(world: AlertWorld):
    await world.add("usd below 100000")
    await world.workspaces.remove_credential(WORKSPACE, by="test")
    world.simulator.calls.clear()
    report = await world.sweeper().sweep(EVENING)
    assert world.calls() == []
    assert report.unread == 1
    assert any(line.startswith(f"no key {WORKSPACE}") for line in report.lines)


async def test_the_database_failing_as_a_workspace_is_read_stops_the_sweep_and_says_so(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
):
    await world.add("usd below 100000")

    async def down(workspace_id: str) -> object:
        raise StoreUnavailable(writing=False, cause="ConnectionRefusedError")

    monkeypatch.setattr(world.workspaces, "command_state", down)
    report = await world.sweeper().sweep(EVENING)  # said, not raised
    assert report.interrupted is not None
    assert "ConnectionRefusedError" in report.interrupted
    assert world.poster.posts == []


async def test_a_crossing_left_unposted_is_posted_before_its_recovery(
    world: AlertWorld, clock: Clock
):
    usd = await usd_now(world)
    record = await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    # A process decides the alert just before midnight and dies before posting it.
    crossed = datetime(2026, 12, 4, 23, 59, tzinfo=UTC)
    _, won = await advance(world.alerts, record, Reading(usd, crossed), owner="dead", now=crossed)
    assert won is not None
    assert won.delivery is not None
    # The draining account is topped up at 00:00: recovered, inside the dead process's lease.
    clock.now = crossed + timedelta(minutes=2)
    assert (await world.sweeper("B").sweep(clock.now)).recovered == 0
    assert world.poster.posts == []  # not a recovery of an alert nobody saw
    # After the lease the alert is taken over; its post fails: still nothing recovers.
    world.poster.fail_next(PostFailed("Slack is down", retry_after=30))
    clock.now = crossed + timedelta(minutes=4)
    assert (await world.sweeper("B").sweep(clock.now)).recovered == 0
    assert world.poster.posts == []
    # Once it is posted, its recovery follows: each once, in order.
    clock.now = crossed + timedelta(minutes=8)
    report = await world.sweeper("B").sweep(clock.now)
    assert (report.fired, report.recovered) == (1, 1)
    fired, recovered = world.poster.in_channel(CHANNEL)
    assert fired.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{record.id}:1"
    assert recovered.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{record.id}:1:recovered"
