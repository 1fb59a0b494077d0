"""What the core needs of a workspace's key store, as Protocols (the SQL store satisfies them).

Commands and the connect flow see only these, so `bot/commands` never imports SQLAlchemy and a
workspace's key can only be reached through its own id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import SecretStr

# Who may read billing in a workspace: everyone in it (the default), or its admins only.
ReadPolicy = Literal["everyone", "admins"]


class CredentialView(Protocol):
    """A stored Venice key as people may see it: never the key, only its last 4 characters."""

    @property
    def workspace_id(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def key_type(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def set_by(self) -> str: ...
    @property
    def set_at(self) -> datetime: ...
    @property
    def last_verified_at(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...


class WorkspaceKeys(Protocol):
    """Set, describe and remove one workspace's Venice key (bot.store.WorkspaceStore does)."""

    async def credential_info(self, workspace_id: str) -> CredentialView | None: ...

    async def save_credential(
        self,
        workspace_id: str,
        key: SecretStr,
        *,
        key_type: str,
        set_by: str,
        verified_at: datetime,
    ) -> CredentialView: ...

    async def remove_credential(self, workspace_id: str, *, by: str) -> bool: ...

    async def set_read_policy(self, workspace_id: str, policy: ReadPolicy, *, by: str) -> object:
        """Let everyone, or admins only, read billing (audited)."""
        ...


@runtime_checkable
class WorkspaceZones(Protocol):
    """A workspace's own time zone (bot.store.WorkspaceStore does)."""

    async def set_time_zone(self, workspace_id: str, zone: str) -> None:
        """Make ZONE the workspace's default time zone (for `digest on` without one)."""
        ...


def shown_fingerprint(fingerprint: str) -> str:
    """`…ab12`: how a key's last 4 characters are shown, so nobody mistakes them for a key."""
    return f"…{fingerprint}"
