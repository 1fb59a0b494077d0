"""Fixtures of the alert tests: the store's (a migrated database on SQLite and on PostgreSQL),
and an alert world: the real Venice simulator on a clock the test moves, a real store with two
connected workspaces, and a recording Poster."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.alerts.rules import parse_rule
from bot.alerts.sweep import AlertSweeper
from bot.deadline import Deadline
from bot.store import Database, WorkspaceStore
from bot.store.alerts import AlertRuleRecord, AlertStore
from bot.venice.client import VeniceAccount, VeniceClient
from bot.venice.source import BillingSource
from tests.digest.recording_poster import RecordingPoster
from tests.store.conftest import K1, database, empty_database, fresh_database, store_with
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

__all__ = ["database", "empty_database"]

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
    """The draining account's USD balance at the simulator's time."""
    account = VeniceAccount(world.venice, SecretStr("sim-admin-draining"))
    balance = await account.balance(Deadline.after(10))
    usd = balance.value.balances.usd
    assert usd is not None
    return usd
