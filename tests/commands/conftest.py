"""A real workspace store (SQLite file, migrated) and a served simulator for command tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.secrets import Keyring, SecretBox, generate_master_key
from bot.store import Database, WorkspaceStore
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread


@pytest.fixture
async def workspace_store(tmp_path: Path) -> AsyncIterator[WorkspaceStore]:
    """A migrated SQLite store of the test's own, sealing under one fresh master key."""
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await database.upgrade()
        yield WorkspaceStore(database, SecretBox(Keyring((generate_master_key("k1"),))))
    finally:
        await database.aclose()


@pytest.fixture(scope="module")
def served_simulator() -> Iterator[RunningSimulator]:
    """One simulator per module, its clock frozen so that answers do not drift."""
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


@pytest.fixture
def simulator(served_simulator: RunningSimulator) -> RunningSimulator:
    """The module's simulator, with no faults and no recorded calls at the start of a test."""
    served_simulator.simulator.faults.clear()
    served_simulator.simulator.calls.clear()
    return served_simulator
