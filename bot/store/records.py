"""What the store hands out: frozen records, never rows, never ciphertexts or keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

ReadPolicy = Literal["everyone", "admins"]
AuditAction = Literal["connect", "replace", "disconnect", "rotate", "role_change"]


@dataclass(frozen=True, slots=True)
class Workspace:
    """One tenant: a Slack workspace, a Discord server or the local console."""

    id: str
    platform: str
    external_id: str
    name: str | None
    locale: str | None
    time_zone: str | None
    read_policy: ReadPolicy


@dataclass(frozen=True, slots=True)
class CredentialInfo:
    """A stored Venice key as people may see it: its last 4 characters, never the key."""

    workspace_id: str
    fingerprint: str
    key_type: str
    key_id: str  # the master key that seals it
    set_by: str
    set_at: datetime
    last_verified_at: datetime | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what to a workspace's key or roles, and when."""

    workspace_id: str
    action: AuditAction
    actor: str
    at: datetime
    detail: str


@dataclass(frozen=True, slots=True)
class WorkspaceSummary:
    """A workspace and its credential, if it has one (for `keys list`)."""

    workspace: Workspace
    credential: CredentialInfo | None


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What `keys rotate` did: rows re-encrypted, rows already current, workspaces unreadable."""

    re_encrypted: int
    already_current: int
    unreadable: tuple[str, ...]
