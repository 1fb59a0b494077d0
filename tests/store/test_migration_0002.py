"""Migration 0002 (Slack installations) on a database already at 0001, with keys in it: the
keys survive, the Slack tables appear, and `venice-bot db upgrade` is idempotent."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from pydantic import SecretStr
from sqlalchemy import Connection, inspect, text

from bot.store import Database
from bot.store.database import _alembic_config
from tests.store.conftest import K1, store_with

ROOT = Path(__file__).resolve().parents[2]
SLACK_TABLES = {"slack_bots", "slack_installations", "slack_oauth_states"}
KEY = "VENICE_ADMIN_KEY_" + "migration0002abcdef"


def _upgrade_to_0001(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "0001")


async def at_0001_with_a_key(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_upgrade_to_0001)
    await store_with(database, K1).save_credential(
        "slack:T1", SecretStr(KEY), key_type="admin", set_by="U1", verified_at=datetime.now(UTC)
    )


async def tables_and_version(database: Database) -> tuple[set[str], list[str]]:
    async with database.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        versions = (await connection.scalars(text("SELECT version_num FROM alembic_version"))).all()
    return tables, list(versions)


async def test_0002_upgrades_a_0001_database_and_keeps_its_keys(empty_database: Database):
    await at_0001_with_a_key(empty_database)
    tables, versions = await tables_and_version(empty_database)
    assert not tables & SLACK_TABLES
    assert versions == ["0001"]
    assert await empty_database.pending_migrations()

    await empty_database.upgrade()
    await empty_database.upgrade()

    tables, versions = await tables_and_version(empty_database)
    assert tables >= SLACK_TABLES
    assert len(versions) == 1
    assert await empty_database.is_current()
    loaded = await store_with(empty_database, K1).load_key("slack:T1")
    assert loaded is not None
    assert loaded.get_secret_value() == KEY


def db_upgrade(url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "db", "upgrade"],
        cwd=ROOT,
        env=env | {"DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_db_upgrade_on_a_new_database_says_it_created_it(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    first, second = db_upgrade(url), db_upgrade(url)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout.startswith("Created the database at ")
    assert "up to date" not in first.stdout
    assert "already up to date" in second.stdout


async def test_venice_bot_db_upgrade_runs_0002_once(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    database = await Database.open(url)
    try:
        await at_0001_with_a_key(database)
    finally:
        await database.aclose()

    first, second = db_upgrade(url), db_upgrade(url)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "Migrated the database" in first.stdout
    assert "already up to date" in second.stdout
    database = await Database.open(url)
    try:
        tables, versions = await tables_and_version(database)
        assert tables >= SLACK_TABLES
        assert len(versions) == 1
        assert await database.is_current()
    finally:
        await database.aclose()
