"""Workspaces as the core sees them: one tenant, written `PLATFORM:ID`; who may read its billing;
what the core needs of its key store; the billing source of its stored key.

The store's side is a set of Protocols (the SQL store, bot/store/workspaces.py, satisfies
them), so `bot/commands` never imports SQLAlchemy and a workspace's key can only be reached
through its own id. `workspace_source` is the one step from a workspace's stored key to the
billing source a command or a digest asks (through the cache: Runtime.source_for).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import SecretStr

from bot.deadline import Deadline
from bot.errors import CommandTextError, KeyUnreadable
from bot.logs import register_secret
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery

log = logging.getLogger(__name__)

# Ids

PLATFORMS = ("slack", "discord", "console")
CONSOLE_WORKSPACE = "console:local"

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PLATFORM_WORD = re.compile(r"[A-Za-z]{1,16}")
_EXAMPLES = "slack:T0123ABCD, discord:112233445566778899 or console:local"


class InvalidWorkspaceId(CommandTextError):
    """The text is not a `PLATFORM:ID` workspace id."""

    def __init__(self, problem: str = "") -> None:
        lead = f"{problem} " if problem else ""
        super().__init__(f"{lead}Workspace ids look like {_EXAMPLES}.", example=CONSOLE_WORKSPACE)


def parse_workspace_id(text: str) -> str:
    """TEXT as a normalised workspace id (platform lower-cased), or InvalidWorkspaceId."""
    # The input is never quoted back whole: a key pasted into the wrong argument must not be
    # echoed. Only a short alphabetic platform word is safe to name.
    platform, sep, external = text.strip().partition(":")
    platform = platform.strip().lower()
    external = external.strip()
    if not sep or not platform:
        raise InvalidWorkspaceId("A workspace id needs a platform and an id separated by `:`.")
    if platform not in PLATFORMS:
        if _PLATFORM_WORD.fullmatch(platform):
            raise InvalidWorkspaceId(f"Unknown platform '{platform}'.")
        raise InvalidWorkspaceId("Unknown platform.")
    if not _ID.fullmatch(external):
        raise InvalidWorkspaceId(
            f"The part after `{platform}:` must be 1 to 64 letters, digits, `.`, `_` or `-`."
        )
    return f"{platform}:{external}"


def split_workspace_id(workspace_id: str) -> tuple[str, str]:
    """(platform, external id) of a valid workspace id."""
    normalised = parse_workspace_id(workspace_id)
    platform, _, external = normalised.partition(":")
    return platform, external


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


# Its billing source

# The billing source of a Venice key under a tenant (the workspace id), or None for no key:
# Runtime.source_for, which answers through the process's cache.
SourceFor = Callable[[SecretStr, str], BillingSource | None]


class StoredKey(Protocol):
    """What a workspace's store read says of its key (WorkspaceStore.command_state's answer)."""

    @property
    def key(self) -> SecretStr | None: ...
    @property
    def unreadable(self) -> Exception | None: ...


class UnreadableKey:
    """The billing source of a workspace whose stored key cannot be decrypted: every call fails
    with KeyUnreadable, so `status`, `connect` and `help` still work there."""

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        raise KeyUnreadable("This workspace's Venice key can no longer be read.")

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        raise KeyUnreadable("This workspace's Venice key can no longer be read.")

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        raise KeyUnreadable("This workspace's Venice key can no longer be read.")


def workspace_source(
    stored: StoredKey, workspace_id: str, source_for: SourceFor
) -> BillingSource | None:
    """WORKSPACE_ID's billing source from its STORED key through SOURCE_FOR; UnreadableKey when
    the key cannot be decrypted, None when the workspace has none."""
    if stored.unreadable is not None:
        # The operator's side of the story; the workspace is told to reconnect.
        log.warning("workspace %s: stored key unreadable (%s)", workspace_id, stored.unreadable)
        return UnreadableKey()
    if stored.key is None:
        return None
    register_secret(stored.key)
    return source_for(stored.key, workspace_id)
