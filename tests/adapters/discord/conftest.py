"""The Discord tests' world: the Venice simulator, a Runtime over a real SQLite file or a
PostgreSQL schema of its own, the fake Discord API, and the /venice group."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from pydantic import SecretStr

from adapters.discord.api_base import api_url, use_api_url
from adapters.discord.commands import venice_group
from bot.runtime import Runtime
from bot.secrets import Keyring, SecretBox, generate_master_key
from bot.settings import Settings
from bot.startup import OpenedStore
from bot.store import WorkspaceStore
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.store.conftest import fresh_database
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread


def discord_token() -> str:
    """A fake bot token, built from parts (id . timestamp . hmac, like Discord's)."""
    return "MTEw" + "MDAw." + "Gx1aBc." + secrets.token_urlsafe(27)


def admin_key() -> str:
    return "sim-admin-team-" + secrets.token_hex(8)


def inference_key() -> str:
    return "sim-inference-" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    # Time stands still in this Venice, so two asks of one report see the same figures.
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgresql"])
async def runtime(
    request: pytest.FixtureRequest, tmp_path: Path, simulator: RunningSimulator
) -> AsyncIterator[Runtime]:
    """A Runtime against the simulator whose store is a migrated database on each backend."""
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        VENICE_API_BASE=simulator.base_url,
        VENICE_BOT_REQUEST_BUDGET=10,
    )
    runtime = Runtime.build(settings)
    async with fresh_database(
        request.param, tmp_path, request, prefix="vb_discord", filename="bot.db"
    ) as database:
        try:
            await database.upgrade()
            keyring = Keyring((generate_master_key("K1"),))
            runtime.opened = OpenedStore(
                database, WorkspaceStore(database, SecretBox(keyring)), keyring
            )
            yield runtime
        finally:
            await runtime.aclose()  # closes the database too (closing it again is harmless)


async def connect_directly(runtime: Runtime, workspace_id: str, key: str | None = None) -> None:
    """Store a key for WORKSPACE_ID as if an admin had connected it (not the flow under test)."""
    store = (await runtime.open_store()).store
    await store.save_credential(
        workspace_id,
        SecretStr(key or admin_key()),
        key_type="admin",
        set_by="test",
        verified_at=datetime.now(UTC),
    )


def subcommand(group: app_commands.Group, name: str) -> app_commands.Command[Any, ..., Any]:
    command = group.get_command(name)
    assert isinstance(command, app_commands.Command), f"/venice has no subcommand {name}"
    return command


@pytest.fixture
def group(runtime: Runtime) -> app_commands.Group:
    return venice_group(runtime)


@pytest.fixture
def discord_api_url() -> Iterator[None]:
    """Restore discord.py's API base after a test that pointed it at a fake."""
    before = api_url()
    try:
        yield
    finally:
        use_api_url(before)


@pytest.fixture
def fake_discord() -> Iterator[FakeDiscord]:
    with FakeDiscord(discord_token()).running() as fake:
        yield fake
