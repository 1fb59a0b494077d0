"""A digest world for the runner's tests: the real Venice simulator (pinned clock), a real store
(SQLite, or a PostgreSQL schema), workspaces with keys, and recording Posters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.command_spec import Caller
from bot.digest.runner import DigestRunner
from bot.schedule import DigestTime
from bot.store import Database, WorkspaceStore
from bot.store.digests import DigestSchedule, DigestStore
from bot.venice.client import VeniceAccount, VeniceClient
from bot.venice.source import BillingSource
from tests.digest.recording_poster import RecordingPoster
from tests.store.conftest import K1, fresh_database, store_with
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

# The simulator's "now": every digest day the tests use is before it.
SIM_NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MADRID_9 = DigestTime(time(9, 0), "Europe/Madrid")  # 08:00 UTC in winter
ADA = Caller("U0ADA", "ada", is_admin=True)


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    with start_in_thread(Simulator(seed=7, clock=lambda: SIM_NOW)) as running:
        yield running


def two_posters() -> dict[str, RecordingPoster]:
    """A Slack and a Discord poster, as a process configured for both has."""
    return {name: RecordingPoster(name) for name in ("slack", "discord")}


@dataclass
class DigestWorld:
    """One deployment: its store, Venice, and the posters every process of it would have."""

    database: Database
    workspaces: WorkspaceStore
    digests: DigestStore
    venice: VeniceClient
    simulator: Simulator
    posters: dict[str, RecordingPoster] = field(default_factory=two_posters)

    @property
    def slack(self) -> RecordingPoster:
        return self.posters["slack"]

    def source_for(self, key: SecretStr, workspace_id: str) -> BillingSource | None:
        # Straight to Venice (no cache): a failure the test injects is the answer it gets.
        return VeniceAccount(self.venice, key)

    def runner(self, owner: str = "A", *, digests: DigestStore | None = None) -> DigestRunner:
        """A process's runner (another DigestStore: another process on the same database)."""
        return DigestRunner(
            digests=digests or self.digests,
            workspaces=self.workspaces,
            source_for=self.source_for,
            posters=self.posters,
            owner=owner,
        )

    async def connect(self, workspace_id: str, key: str) -> None:
        await self.workspaces.save_credential(
            workspace_id, SecretStr(key), key_type="admin", set_by="test", verified_at=SIM_NOW
        )

    async def schedule(
        self,
        workspace_id: str,
        channel_id: str,
        *,
        when: DigestTime = MADRID_9,
        skip_empty: bool = False,
        now: datetime,
    ) -> DigestSchedule:
        return await self.runner().schedule(
            workspace_id, channel_id, when, skip_empty=skip_empty, by=ADA, now=now
        )


@asynccontextmanager
async def digest_world(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, simulator: RunningSimulator
) -> AsyncIterator[DigestWorld]:
    """A migrated store on BACKEND with a Venice client of SIMULATOR (one attempt per call)."""
    async with (
        fresh_database(backend, tmp_path, request, prefix="vb_digest") as database,
        world_on(database, simulator) as world,
    ):
        yield world


@asynccontextmanager
async def world_on(database: Database, simulator: RunningSimulator) -> AsyncIterator[DigestWorld]:
    """The digest world on DATABASE (migrated here), with a Venice client of SIMULATOR."""
    simulator.simulator.faults.clear()
    await database.upgrade()
    async with httpx.AsyncClient(timeout=10) as http:
        yield DigestWorld(
            database=database,
            workspaces=store_with(database, K1),
            digests=DigestStore(database),
            venice=VeniceClient(http, simulator.base_url, max_attempts=1),
            simulator=simulator.simulator,
        )
    simulator.simulator.faults.clear()


@pytest.fixture
async def world(
    tmp_path: Path, request: pytest.FixtureRequest, simulator: RunningSimulator
) -> AsyncIterator[DigestWorld]:
    """The digest world on SQLite."""
    async with digest_world("sqlite", tmp_path, request, simulator) as made:
        yield made
