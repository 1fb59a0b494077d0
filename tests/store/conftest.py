"""One store suite, two databases: a SQLite file and a PostgreSQL schema of the test's own.

Each PostgreSQL test gets a fresh schema named `vb_test_<session>_<n>`, migrated by
`Database.upgrade()` like production, and drops only that schema afterwards.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.secrets import Keyring, MasterKey, SecretBox, generate_master_key
from bot.store import Database, WorkspaceStore

SESSION_TAG = secrets.token_hex(4)
_schema_numbers = itertools.count()

K1: MasterKey = generate_master_key("K1")
K2: MasterKey = generate_master_key("K2")


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as a plain DSN asyncpg itself accepts."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_database(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    *,
    prefix: str = "vb_test",
    filename: str = "store.db",
) -> AsyncIterator[Database]:
    """An open database with no tables yet: a SQLite file FILENAME under TMP_PATH, or a
    PostgreSQL schema `<PREFIX>_<session>_<n>` of its own, dropped afterwards."""
    if backend == "sqlite":
        database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / filename}")
        try:
            yield database
        finally:
            await database.aclose()
        return
    url: str = request.getfixturevalue("postgres_url")
    schema = f"{prefix}_{SESSION_TAG}_{next(_schema_numbers)}"
    await _admin_execute(url, f'CREATE SCHEMA "{schema}"')
    try:
        database = await Database.open(url, schema=schema)
        try:
            yield database
        finally:
            await database.aclose()
    finally:
        await _admin_execute(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _admin_execute(url: str, statement: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An open database with no tables yet, on each backend."""
    async with fresh_database(request.param, tmp_path, request) as database:
        yield database


@pytest.fixture
async def database(empty_database: Database) -> Database:
    """The database, migrated to head."""
    await empty_database.upgrade()
    return empty_database


def store_with(database: Database, *keys: MasterKey) -> WorkspaceStore:
    """A store over DATABASE whose keyring holds KEYS, newest first."""
    return WorkspaceStore(database, SecretBox(Keyring(keys)))


@pytest.fixture
def store(database: Database) -> WorkspaceStore:
    """A store whose keyring holds K1 only."""
    return store_with(database, K1)


async def same_database(database: Database) -> Database:
    """Another Database (its own engine and pool, as another process has) on the same SQLite
    file or PostgreSQL schema; the caller closes it."""
    url = database.engine.url.render_as_string(hide_password=False)
    if database.dialect == "sqlite":
        return await Database.open(url)
    async with database.engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    return await Database.open(url, schema=schema)
