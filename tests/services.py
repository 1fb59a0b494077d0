"""Real services for tests: the shared Redis and PostgreSQL found by scripts/test.sh, and
private redis-server processes a test may stop and restart.

Under CI=true a missing service fails the test that needs it; elsewhere the test is skipped
with the reason, so a laptop without PostgreSQL can still run the rest.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_service(what: str) -> None:
    """Fail under CI, skip elsewhere: a test tree must never pass by silently skipping."""
    message = f"{what} is not reachable; run the suite with `make test`, which finds or starts it"
    if IN_CI:
        pytest.fail(f"CI=true: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError:
        return False
    return True


@contextmanager
def postgres_database(server_url: str, prefix: str) -> Iterator[str]:
    """A PostgreSQL database of its own on SERVER_URL's server, named PREFIX_<random>, for
    processes (a schema search path cannot be handed to a subprocess); dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(server_url)
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"{prefix}_{secrets.token_hex(4)}"

    async def execute(statement: str) -> None:
        connection = await asyncpg.connect(admin_dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class ServiceMissing(RuntimeError):
    """A server a test or benchmark needs is not installed."""


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, on a free port, that the test may stop and start."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it accepts connections; ServiceMissing without the binary."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceMissing("redis-server (the binary; Debian package redis-server)")
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while not answers("127.0.0.1", self.port, 0.2):
            if time.monotonic() > deadline:
                raise RuntimeError(f"private redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=5)
            self.process = None
