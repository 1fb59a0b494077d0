"""Fixtures every test directory may use: the real Redis and PostgreSQL servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.services import (
    PrivatePostgres,
    PrivateRedis,
    ServiceMissing,
    answers,
    missing_service,
)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared test Redis (scripts/test.sh sets it). Tests namespace their keys."""
    url = os.environ.get("VENICE_BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    if not answers(parts.hostname or "127.0.0.1", parts.port or 6379):
        missing_service(f"Redis at {parts.hostname}:{parts.port}")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL test database (postgresql+asyncpg://...)."""
    url = os.environ.get(
        "VENICE_BOT_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parts = urlsplit(url)
    if not answers(parts.hostname or "127.0.0.1", parts.port or 5432):
        missing_service(f"PostgreSQL at {parts.hostname}:{parts.port}")
    return url


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of this test's own (started), which the test may stop and restart."""
    server = PrivateRedis()
    try:
        server.start()
    except ServiceMissing as missing:
        missing_service(str(missing))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own (started, database `postgres` at `.url`), which
    the test may stop() and start() again; removed afterwards."""
    server = PrivatePostgres()
    try:
        server.start()
    except ServiceMissing as missing:
        missing_service(str(missing))
    try:
        yield server
    finally:
        server.remove()
