"""The private PostgreSQL helper (tests/services.py) that fault tests stop and restart."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from tests.services import PrivatePostgres


def _dsn(server: PrivatePostgres) -> str:
    return server.url.replace("postgresql+asyncpg://", "postgresql://")


async def _query(server: PrivatePostgres, statement: str) -> object:
    connection = await asyncpg.connect(_dsn(server), timeout=5)
    try:
        if ";" in statement:
            return await connection.execute(statement)
        return await connection.fetchval(statement)
    finally:
        await connection.close()


def test_a_private_postgres_stops_at_once_and_starts_with_its_data(
    private_postgres: PrivatePostgres,
):
    asyncio.run(_query(private_postgres, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"))
    stopping = time.monotonic()
    private_postgres.stop()
    assert time.monotonic() - stopping < 5
    assert not private_postgres.running
    with pytest.raises(ConnectionRefusedError):
        asyncio.run(_query(private_postgres, "SELECT 1"))
    private_postgres.start()
    assert asyncio.run(_query(private_postgres, "SELECT n FROM kept")) == 7
