"""Real services for tests: the shared Redis and PostgreSQL found by scripts/test.sh, and
private redis-server and PostgreSQL servers a test may stop and restart.

Under CI=true a missing service fails the test that needs it; elsewhere the test is skipped
with the reason, so a laptop without PostgreSQL can still run the rest.
"""

from __future__ import annotations

import asyncio
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def _postgres_binary(name: str) -> str | None:
    """NAME (initdb, pg_ctl) on PATH, else in Debian's /usr/lib/postgresql/VERSION/bin."""
    found = shutil.which(name)
    if found is not None:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PrivatePostgres:
    """A PostgreSQL server of the test's own, in a temporary directory on a free port, that the
    test may stop (at once, like a crash) and start again; never the shared one.

    `with PrivatePostgres() as pg:` (or the `private_postgres` fixture) starts it; `pg.url` is a
    `postgresql+asyncpg://` URL of its `postgres` database (trust auth, no password). Run as root,
    the server runs as the `postgres` user (PostgreSQL refuses root). ServiceMissing without
    initdb/pg_ctl.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self._initdb = _postgres_binary("initdb")
        self._pg_ctl = _postgres_binary("pg_ctl")
        self._dir: Path | None = None
        self._user: str | None = None

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return answers("127.0.0.1", self.port, 0.2)

    def start(self) -> None:
        """Start it (creating its data directory the first time); returns once it accepts
        connections."""
        if self._dir is None:
            self._create()
        assert self._dir is not None
        # fsync off: the data only has to survive this server's process, not the machine's.
        # Commits stay synchronous, so a committed row survives stop() (an immediate stop).
        options = f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("start", "-w", "-t", "30", "-o", options, "-l", str(self._dir / "server.log"))

    def stop(self) -> None:
        """Stop it at once (`pg_ctl stop -m immediate`: no checkpoint, like a crash); its
        clients get connection errors. start() brings it back with the same data."""
        if self._dir is not None and (self._dir / "data" / "postmaster.pid").exists():
            self._ctl("stop", "-m", "immediate", "-w", "-t", "30")

    def remove(self) -> None:
        """Stop it and delete its data directory."""
        try:
            self.stop()
        finally:
            if self._dir is not None:
                shutil.rmtree(self._dir, ignore_errors=True)
                self._dir = None

    def __enter__(self) -> PrivatePostgres:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _create(self) -> None:
        if self._initdb is None or self._pg_ctl is None:
            raise ServiceMissing("initdb and pg_ctl (Debian package postgresql)")
        if os.geteuid() == 0:
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ServiceMissing("a `postgres` user to run a private PostgreSQL") from None
            self._user = "postgres"
        self._dir = Path(tempfile.mkdtemp(prefix="venice-bot-pg-"))
        if self._user is not None:
            os.chown(self._dir, owner.pw_uid, owner.pw_gid)
        self._run(
            self._initdb, "-D", str(self._dir / "data"), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip

    def _ctl(self, *args: str) -> None:
        assert self._pg_ctl is not None
        assert self._dir is not None
        self._run(self._pg_ctl, "-D", str(self._dir / "data"), *args)

    def _run(self, *command: str) -> None:
        extra: dict[str, Any] = {"user": self._user} if self._user is not None else {}
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, check=False, cwd="/", **extra
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"private PostgreSQL: {Path(command[0]).name} {command[1:3]} failed: "
                f"{(done.stderr or done.stdout).strip()[-400:]}"
            )
