"""WorkspaceStore: the workspaces, their Venice keys (sealed) and the audit trail, in one place."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from pydantic import SecretStr
from sqlalchemy import select, update

from bot.secrets import MasterKeyMissing, SecretBox
from bot.store.credentials import Credentials
from bot.store.database import Database
from bot.store.records import (
    AuditEntry,
    CredentialInfo,
    ReadPolicy,
    RotationReport,
    Workspace,
    WorkspaceSummary,
)
from bot.store.rotation import rotate_secrets
from bot.store.rows import (
    CREDENTIAL_INFO,
    credential_record,
    ensure_workspace_row,
    workspace_record,
    write_audit,
)
from bot.store.tables import audit_log, venice_credentials, workspaces
from bot.workspace_id import parse_workspace_id


class WorkspaceStore:
    """Every read and write of workspaces and their secrets. Keys leave it only as SecretStr."""

    def __init__(self, database: Database, box: SecretBox) -> None:
        self.database = database
        self.box = box
        self._credentials = Credentials(database, box)

    # Workspaces

    async def ensure_workspace(
        self,
        workspace_id: str,
        *,
        name: str | None = None,
        locale: str | None = None,
        time_zone: str | None = None,
    ) -> Workspace:
        """The workspace, created when missing; NAME, LOCALE, TIME_ZONE update it when given."""
        async with self.database.transaction() as connection:
            return await ensure_workspace_row(
                connection, workspace_id, name=name, locale=locale, time_zone=time_zone
            )

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        """The workspace, or None when the bot has never seen it."""
        workspace_id = parse_workspace_id(workspace_id)
        async with self.database.engine.connect() as connection:
            row = (
                await connection.execute(select(workspaces).where(workspaces.c.id == workspace_id))
            ).one_or_none()
        return None if row is None else workspace_record(row)

    async def set_read_policy(self, workspace_id: str, policy: ReadPolicy, *, by: str) -> Workspace:
        """Let everyone, or admins only, read billing; a change is audited as role_change."""
        if policy not in get_args(ReadPolicy):
            raise ValueError("the read policy is 'everyone' or 'admins'")
        async with self.database.transaction() as connection:
            workspace = await ensure_workspace_row(connection, workspace_id, lock=True)
            if workspace.read_policy == policy:
                return workspace
            await connection.execute(
                update(workspaces).where(workspaces.c.id == workspace.id).values(read_policy=policy)
            )
            await write_audit(
                connection,
                workspace.id,
                "role_change",
                actor=by,
                detail=f"billing readable by {policy} (was {workspace.read_policy})",
            )
            return await ensure_workspace_row(connection, workspace.id)

    async def list_workspaces(self) -> list[WorkspaceSummary]:
        """Every workspace with its credential (fingerprints only), ordered by id."""
        query = (
            select(workspaces, *CREDENTIAL_INFO)
            .select_from(workspaces.outerjoin(venice_credentials))
            .order_by(workspaces.c.id)
        )
        async with self.database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [
            WorkspaceSummary(
                workspace=workspace_record(row),
                credential=credential_record(row) if row.workspace_id is not None else None,
            )
            for row in rows
        ]

    async def audit_log(self, workspace_id: str) -> list[AuditEntry]:
        """The workspace's audit trail, oldest first."""
        workspace_id = parse_workspace_id(workspace_id)
        query = select(audit_log).where(audit_log.c.workspace_id == workspace_id)
        async with self.database.engine.connect() as connection:
            rows = (await connection.execute(query.order_by(audit_log.c.id))).all()
        return [
            AuditEntry(
                workspace_id=row.workspace_id,
                action=row.action,
                actor=row.actor,
                at=row.at,
                detail=row.detail,
            )
            for row in rows
        ]

    # Venice keys

    async def save_credential(
        self,
        workspace_id: str,
        key: SecretStr,
        *,
        key_type: str,
        set_by: str,
        verified_at: datetime,
    ) -> CredentialInfo:
        """Seal and store KEY for the workspace (created if new); audited connect or replace."""
        return await self._credentials.save(
            workspace_id, key, key_type=key_type, set_by=set_by, verified_at=verified_at
        )

    async def load_key(self, workspace_id: str) -> SecretStr | None:
        """The workspace's Venice key, or None; MasterKeyMissing / SecretUnreadable otherwise."""
        return await self._credentials.load_key(workspace_id)

    async def credential_info(self, workspace_id: str) -> CredentialInfo | None:
        """What may be shown about the workspace's key (never the key), or None."""
        return await self._credentials.info(workspace_id)

    async def record_check(self, workspace_id: str, *, at: datetime, error: str | None) -> None:
        """Note a live check: verified AT when ERROR is None, else the short ERROR sentence."""
        await self._credentials.record_check(workspace_id, at=at, error=error)

    async def remove_credential(self, workspace_id: str, *, by: str) -> bool:
        """Delete the workspace's key (audited disconnect); False when it had none."""
        return await self._credentials.remove(workspace_id, by=by)

    async def rotate_secrets(self, *, by: str = "cli") -> RotationReport:
        """Re-encrypt every key not under the newest master key (safe to interrupt and re-run)."""
        return await rotate_secrets(self.database, self.box, by=by)

    async def missing_master_keys(self) -> set[str]:
        """Ids of master keys that stored keys need and the keyring lacks."""
        return await self._credentials.missing_master_keys()

    async def require_master_keys(self) -> None:
        """MasterKeyMissing naming every master key that stored keys need and the keyring lacks."""
        missing = sorted(await self.missing_master_keys())
        if missing:
            raise MasterKeyMissing(*missing)
