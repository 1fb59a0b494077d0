"""The workspace store: workspaces, their sealed Venice keys and the audit log, in SQL."""

from bot.store.database import Database, DatabaseNotMigrated, DatabaseUnavailable
from bot.store.records import (
    AuditEntry,
    CredentialInfo,
    RotationReport,
    Workspace,
    WorkspaceSummary,
)
from bot.store.workspaces import WorkspaceStore

__all__ = [
    "AuditEntry",
    "CredentialInfo",
    "Database",
    "DatabaseNotMigrated",
    "DatabaseUnavailable",
    "RotationReport",
    "Workspace",
    "WorkspaceStore",
    "WorkspaceSummary",
]
