"""The store, in SQL: workspaces, their sealed Venice keys and the audit log (WorkspaceStore);
digest schedules (digests.py), alert rules and their state (alerts.py) and the deliveries of
scheduled posts (deliveries.py)."""

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
