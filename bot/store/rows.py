"""Statements the store's modules share: upsert a workspace, write audit rows, read rows, and
the way the hot statements are built once (`fixed`).

A hot statement runs several times per digest: built per call it costs a Python-side build and
cache-key walk each time, and the INSERT ... ON CONFLICT of either dialect has no cache key at
all (compiled again on every call). `fixed` makes it a `lambda_stmt` with tracking off, so its
cache key is the lambda's own code: every statement needs a lambda of its own (never a shared
helper lambda), and its values come only from named bind parameters, given at execution.

Parameter names are never column names: a column-named execution parameter would be added to
an INSERT's VALUES or an UPDATE's SET (bot/store/digests.py and deliveries.py name theirs).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Table, bindparam, lambda_stmt, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.lambdas import StatementLambdaElement

from bot.store.records import AuditAction, CredentialInfo, Workspace
from bot.store.tables import UTCDateTime, audit_log, venice_credentials, workspaces
from bot.workspaces import split_workspace_id

Insert = Callable[[Any], Any]  # sqlite_insert or postgresql_insert: the same ON CONFLICT API
PerDialect = dict[str, StatementLambdaElement]

CREDENTIAL_INFO = (
    venice_credentials.c.workspace_id,
    venice_credentials.c.fingerprint,
    venice_credentials.c.key_type,
    venice_credentials.c.key_id,
    venice_credentials.c.set_by,
    venice_credentials.c.set_at,
    venice_credentials.c.last_verified_at,
    venice_credentials.c.last_error,
)


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


def fixed(build: Callable[[], Any]) -> StatementLambdaElement:
    """BUILD's statement, cached under BUILD's code (a lambda of its own per statement)."""
    return lambda_stmt(build, enable_tracking=False)


def of_dialect(connection: AsyncConnection, statements: PerDialect) -> StatementLambdaElement:
    """The statement of CONNECTION's dialect (`sqlite` or `postgresql`)."""
    return statements[connection.dialect.name]


def at(name: str = "at") -> Any:
    """An instant parameter (timezone-aware UTC)."""
    return bindparam(name, type_=UTCDateTime())


async def insert_ignoring_duplicates(
    connection: AsyncConnection, table: Table, values: dict[str, Any]
) -> None:
    """INSERT VALUES into TABLE unless a row with the same primary key exists (no race)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(postgresql_insert(table).values(values).on_conflict_do_nothing())
    else:
        await connection.execute(sqlite_insert(table).values(values).on_conflict_do_nothing())


async def ensure_workspace_row(
    connection: AsyncConnection,
    workspace_id: str,
    *,
    lock: bool = False,
    **details: str | None,
) -> Workspace:
    """The workspace, created when missing; DETAILS given (not None) overwrite stored ones.

    LOCK holds the row until the transaction ends (PostgreSQL), serialising writers of one
    workspace's credential and settings.
    """
    platform, external_id = split_workspace_id(workspace_id)
    workspace_id = f"{platform}:{external_id}"
    now = utc_now()
    given = {name: value for name, value in details.items() if value is not None}
    await insert_ignoring_duplicates(
        connection,
        workspaces,
        {"id": workspace_id, "platform": platform, "external_id": external_id,
         "created_at": now, "updated_at": now, **given},
    )  # fmt: skip
    query = select(workspaces).where(workspaces.c.id == workspace_id)
    row = (await connection.execute(query.with_for_update() if lock else query)).one()
    if any(getattr(row, name) != value for name, value in given.items()):
        await connection.execute(
            update(workspaces)
            .where(workspaces.c.id == workspace_id)
            .values(**given, updated_at=now)
        )
        row = (await connection.execute(query)).one()
    return workspace_record(row)


async def write_audit(
    connection: AsyncConnection,
    workspace_id: str,
    action: AuditAction,
    *,
    actor: str,
    detail: str,
    at: datetime | None = None,
) -> None:
    """Append one audit row. DETAIL is shown to admins: never a secret."""
    await connection.execute(
        audit_log.insert().values(
            workspace_id=workspace_id,
            action=action,
            actor=actor[:200],
            at=at or utc_now(),
            detail=detail,
        )
    )


def workspace_record(row: Row[Any]) -> Workspace:
    """A workspaces row as a Workspace."""
    return Workspace(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        name=row.name,
        locale=row.locale,
        time_zone=row.time_zone,
        read_policy=row.read_policy,
    )


def credential_record(row: Row[Any]) -> CredentialInfo:
    """A row selected with CREDENTIAL_INFO as a CredentialInfo."""
    return CredentialInfo(
        workspace_id=row.workspace_id,
        fingerprint=row.fingerprint,
        key_type=row.key_type,
        key_id=row.key_id,
        set_by=row.set_by,
        set_at=row.set_at,
        last_verified_at=row.last_verified_at,
        last_error=row.last_error,
    )
