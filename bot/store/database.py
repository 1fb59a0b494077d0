"""The database: one async SQLAlchemy engine (SQLite embedded, or PostgreSQL) and its migrations."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import BotError

try:  # the PostgreSQL driver's own errors, which some paths raise unwrapped
    from asyncpg import InterfaceError as _PgInterfaceError
    from asyncpg import PostgresError as _PgError

    _DRIVER_ERRORS: tuple[type[BaseException], ...] = (_PgError, _PgInterfaceError)
except ImportError:  # pragma: no cover (asyncpg is a dependency)
    _DRIVER_ERRORS = ()

MIGRATIONS = Path(__file__).parent / "migrations"
CONNECT_TIMEOUT = 10.0
# SQLite has one writer at a time: another process's write is waited for this long (the
# driver's busy timeout) before "database is locked".
SQLITE_BUSY_SECONDS = 30.0
# Held during `upgrade()` on PostgreSQL so two processes never migrate at once.
_MIGRATION_LOCK = 0x76656E6963650001
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class DatabaseUnavailable(BotError):
    """The database cannot be opened or reached."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# What a failed read or write of the database looks like, whichever layer raised it: SQLAlchemy,
# a driver (aiosqlite's sqlite3, asyncpg) or the connection itself. The delivery path stops
# posting on any of them, whatever the cause; `unreachable()` below tells those that mean the
# database does not answer (worth answering from what was last read).
STORE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    DatabaseUnavailable,
    sqlite3.Error,
    OSError,
    TimeoutError,
    *_DRIVER_ERRORS,
)


class DatabaseNotMigrated(BotError):
    """The database exists but its tables are older than this release (or missing)."""

    def __init__(self, where: str) -> None:
        self.message = (
            f"The database at {where} is not up to date with this version of venice-bot; "
            "run `venice-bot db upgrade`, then start again."
        )
        super().__init__(self.message)


class Database:
    """An open database. Build it once with `await Database.open(url)`; `await aclose()` it."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._writes: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._writing: asyncio.Task[Any] | None = None  # the task holding the write lock

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None) -> Database:
        """Connect to URL (sqlite+aiosqlite or postgresql+asyncpg); SCHEMA: a PostgreSQL schema."""
        parsed = _parse(url)
        backend = parsed.get_backend_name()
        connect_args: dict[str, Any] = {}
        if backend == "sqlite":
            _check_sqlite_directory(parsed)
            connect_args["timeout"] = SQLITE_BUSY_SECONDS
        else:
            connect_args["timeout"] = CONNECT_TIMEOUT
        if schema is not None:
            if backend != "postgresql" or not _SCHEMA.fullmatch(schema):
                raise ValueError("schema is a plain identifier, on PostgreSQL only")
            connect_args["server_settings"] = {"search_path": schema}
        # Parameters hold ciphertexts: never echo them, never put them in error messages.
        engine = create_async_engine(
            parsed, echo=False, hide_parameters=True, connect_args=connect_args
        )
        if backend == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        database = cls(engine)
        try:
            await database.ping()
        except BaseException:
            await engine.dispose()
            raise
        return database

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        """The URL with any password hidden: safe for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def session(self) -> AsyncSession:
        """A new ORM session (`async with database.session() as session:`)."""
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in one transaction: committed on success, rolled back on error.

        On SQLite, one at a time per process: SQLite itself allows one writer, and dozens of
        tasks writing at once would otherwise wait in its busy handler, which gives up with
        "database is locked" while a busy event loop keeps the writer from committing."""
        task = asyncio.current_task()
        if self.dialect != "sqlite" or task is None or self._writing is task:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._write_lock():
            self._writing = task
            try:
                async with self.engine.begin() as connection:
                    yield connection
            finally:
                self._writing = None

    def _write_lock(self) -> asyncio.Lock:
        # A lock serves one event loop: a new one for each loop the database is used in.
        loop = asyncio.get_running_loop()
        if self._writes is None or self._writes[0] is not loop:
            self._writes = (loop, asyncio.Lock())
        return self._writes[1]

    async def ping(self) -> None:
        """Round-trip to the database; DatabaseUnavailable when it does not answer."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as error:
            raise DatabaseUnavailable(
                f"Cannot reach the database at {self.display_url} ({_reason(error)}); check "
                "DATABASE_URL and that the database server is running."
            ) from None

    async def upgrade(self) -> None:
        """Run every pending migration (a no-op when the database is current)."""
        async with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _MIGRATION_LOCK}
                )
            await connection.run_sync(_upgrade_to_head)

    async def applied_migrations(self) -> set[str]:
        """The migration heads the database is at: empty for a new database."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_current_heads)

    async def pending_migrations(self) -> bool:
        """True when the database lacks migrations this release has (an empty one included)."""
        current = await self.applied_migrations()
        return current != set(ScriptDirectory.from_config(_alembic_config()).get_heads())

    async def is_current(self) -> bool:
        """True when every migration has run."""
        return not await self.pending_migrations()

    async def require_current(self) -> None:
        """DatabaseNotMigrated (which says to run `venice-bot db upgrade`) unless current."""
        if await self.pending_migrations():
            raise DatabaseNotMigrated(self.display_url)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(
            "DATABASE_URL is not a database URL; use sqlite+aiosqlite:///PATH or "
            "postgresql+asyncpg://USER@HOST/DB."
        ) from None
    if parsed.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
        raise DatabaseUnavailable(
            "DATABASE_URL must be a sqlite+aiosqlite:/// or postgresql+asyncpg:// URL."
        )
    return parsed


def _check_sqlite_directory(url: URL) -> None:
    path = url.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    directory = Path(path).expanduser().absolute().parent
    if not directory.is_dir():
        raise DatabaseUnavailable(
            f"The directory {directory} for the SQLite database does not exist; create it or "
            "change DATABASE_URL."
        )


def unreachable(error: BaseException) -> bool:
    """True when ERROR means the database does not answer (stopped, unreachable, restarting,
    out of connections), not that a statement is wrong: the same call may work later."""
    seen: BaseException | None = error
    for _ in range(4):  # the error, what SQLAlchemy wrapped, what the driver wrapped
        if seen is None:
            return False
        if isinstance(seen, OSError | TimeoutError | PoolTimeout | DisconnectionError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, OperationalError | InterfaceError):
            return True
        if _driver_connection_error(seen):
            return True
        seen = seen.orig if isinstance(seen, DBAPIError) else seen.__cause__
    return False


def _driver_connection_error(error: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    exceptions = asyncpg.exceptions
    lost = (
        exceptions.PostgresConnectionError,
        exceptions.OperatorInterventionError,  # shutting down, cannot connect now
        exceptions.TooManyConnectionsError,
        exceptions.InterfaceError,
    )
    return isinstance(error, lost)


def unreachable_reason(error: BaseException) -> str:
    """The name of what went wrong, for a log line (never a message: it can hold the URL)."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    inner = cause.__cause__ if type(cause).__module__.startswith("sqlalchemy") else None
    return type(inner or cause).__name__


def _reason(error: BaseException) -> str:
    # The driver's own message, first line only: SQLAlchemy appends the statement and a link.
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    return (lines[0][:200] if lines else "") or type(cause).__name__
