"""WorkspaceStore: the workspaces, their Venice keys (sealed) and the audit trail, in one place.

When the database does not answer, commands keep working from what this process last read of
each workspace (its read policy and key), for STORE_OUTAGE_SECONDS from that read; a workspace
it has not read in that time, and every change (connect, disconnect, access), get
StoreUnavailable, which the bot answers with a sentence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, get_args

from pydantic import SecretStr
from sqlalchemy import ColumnElement, Row, select, update

from bot.errors import StoreUnavailable
from bot.secrets import MasterKeyMissing, SecretBox, SecretUnreadable
from bot.store.credentials import Credentials, venice_key_context
from bot.store.database import Database, unreachable, unreachable_reason
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
from bot.throttled_log import ThrottledWarnings
from bot.workspaces import parse_workspace_id

log = logging.getLogger(__name__)

# How long this process reuses what a command needs of a workspace (read policy, decrypted key,
# last check) without reading the database again. connect, disconnect, access and key rotation
# in this process drop it at once; a change made by another process (the CLI's `keys set`,
# another replica) is seen within this many seconds.
COMMAND_STATE_SECONDS = 5.0
# While the database does not answer, a command uses what this process last read of its
# workspace for up to this long after that read: long enough to ride out a restart or a
# failover, short enough that a replica cut off from the database does not keep an old read
# policy or key for long. Changes cannot be made meanwhile (they need the database).
STORE_OUTAGE_SECONDS = 900.0
# After the database failed to answer, commands do not ask it again for this long (each would
# wait for it): they answer at once from the last read.
STORE_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class CommandState:
    """What one command needs of a workspace, in one read: who may read billing, its key (None
    when it has none, or when UNREADABLE says why it cannot be decrypted) and its last check."""

    read_policy: ReadPolicy
    key: SecretStr | None
    last_verified_at: datetime | None = None
    last_error: str | None = None
    unreadable: SecretUnreadable | MasterKeyMissing | None = None

    def check_is_news(self, at: datetime, error: str | None) -> bool:
        """Whether `record_check(at, error)` would change the stored check."""
        if error is not None:
            return error[:500] != self.last_error
        return (
            self.last_error is not None
            or self.last_verified_at is None
            or (self.last_verified_at < at)
        )


class WorkspaceStore:
    """Every read and write of workspaces and their secrets. Keys leave it only as SecretStr."""

    def __init__(self, database: Database, box: SecretBox) -> None:
        self.database = database
        self.box = box
        self._credentials = Credentials(database, box)
        self.command_state_seconds = COMMAND_STATE_SECONDS
        # workspace id -> (monotonic expiry, state). `_generation` moves on every change this
        # process makes, so a read that raced a change is not kept.
        self._states: dict[str, tuple[float, CommandState]] = {}
        self._generation = 0
        # workspace id -> (monotonic time of the read, state): for when the database is down.
        self.outage_seconds = STORE_OUTAGE_SECONDS
        self.retry_seconds = STORE_RETRY_SECONDS
        self._last_read: dict[str, tuple[float, CommandState]] = {}
        self._pruned_at = 0.0
        self._down_until = 0.0
        self._down_cause = ""
        self._warnings = ThrottledWarnings(log)

    def _changed(self, workspace_id: str | None = None) -> None:
        """Forget the command state of WORKSPACE_ID (of every workspace when None)."""
        self._generation += 1
        if workspace_id is None:
            self._states.clear()
            self._last_read.clear()
        else:
            self._states.pop(parse_workspace_id(workspace_id), None)
            self._last_read.pop(parse_workspace_id(workspace_id), None)

    async def command_state(self, workspace_id: str) -> CommandState:
        """The read policy, key and last check of the workspace, from one query (or from this
        process's copy, at most COMMAND_STATE_SECONDS old). A workspace never seen reads as
        open to everyone, without a key. When the database does not answer: the last state
        this process read, up to `outage_seconds` old; StoreUnavailable without one."""
        workspace_id = parse_workspace_id(workspace_id)
        now = time.monotonic()
        kept = self._states.get(workspace_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        if now < self._down_until:
            return self._last_known(workspace_id, now)
        generation = self._generation
        try:
            state, keep = await self._read_command_state(workspace_id)
        except Exception as error:
            if not unreachable(error):
                raise
            self._down_until = now + self.retry_seconds
            self._down_cause = unreachable_reason(error)
            return self._last_known(workspace_id, now)
        self._down_until = 0.0
        if keep and generation == self._generation:
            if self.command_state_seconds > 0:
                self._states[workspace_id] = (now + self.command_state_seconds, state)
            self._remember(workspace_id, now, state)
        return state

    async def command_states(self, workspace_ids: Sequence[str]) -> dict[str, CommandState]:
        """`command_state` of each of WORKSPACE_IDS (valid, normalised ids) in one query, for a
        sweep of many workspaces: the ones it could read, kept as `command_state` keeps them.
        Nothing while the database does not answer: `command_state` of each then says what this
        process last read, or that the database is unavailable."""
        now = time.monotonic()
        if now < self._down_until or not workspace_ids:
            return {}
        generation = self._generation
        try:
            rows = await self._command_state_rows(workspaces.c.id.in_(workspace_ids))
        except Exception as error:
            if not unreachable(error):
                raise
            self._down_until = now + self.retry_seconds
            self._down_cause = unreachable_reason(error)
            return {}
        self._down_until = 0.0
        found = {row.id: row for row in rows}
        states: dict[str, CommandState] = {}
        for workspace_id in workspace_ids:
            state, keep = self._state_of(workspace_id, found.get(workspace_id))
            states[workspace_id] = state
            if keep and generation == self._generation:
                if self.command_state_seconds > 0:
                    self._states[workspace_id] = (now + self.command_state_seconds, state)
                self._remember(workspace_id, now, state)
        return states

    async def _read_command_state(self, workspace_id: str) -> tuple[CommandState, bool]:
        """The state from the database, and whether it may be kept (not an unreadable key)."""
        rows = await self._command_state_rows(workspaces.c.id == workspace_id)
        return self._state_of(workspace_id, rows[0] if rows else None)

    async def _command_state_rows(self, where: ColumnElement[bool]) -> Sequence[Row[Any]]:
        query = (
            select(
                workspaces.c.id,
                workspaces.c.read_policy,
                venice_credentials.c.ciphertext,
                venice_credentials.c.last_verified_at,
                venice_credentials.c.last_error,
            )
            .select_from(workspaces.outerjoin(venice_credentials))
            .where(where)
        )
        async with self.database.engine.connect() as connection:
            return (await connection.execute(query)).all()

    def _state_of(self, workspace_id: str, row: Row[Any] | None) -> tuple[CommandState, bool]:
        """The state of WORKSPACE_ID's ROW (None: never seen), its key decrypted, and whether it
        may be kept (not an unreadable key)."""
        if row is None:
            return CommandState(read_policy="everyone", key=None), True
        if row.ciphertext is None:
            return CommandState(read_policy=row.read_policy, key=None), True
        try:
            plaintext = self.box.open(
                bytes(row.ciphertext), context=venice_key_context(workspace_id)
            )
        except (SecretUnreadable, MasterKeyMissing) as error:
            # Not kept: the next command reads (and reports) it again.
            return CommandState(read_policy=row.read_policy, key=None, unreadable=error), False
        state = CommandState(
            read_policy=row.read_policy,
            key=SecretStr(plaintext),
            last_verified_at=row.last_verified_at,
            last_error=row.last_error,
        )
        return state, True

    def _remember(self, workspace_id: str, now: float, state: CommandState) -> None:
        """Keep STATE as the last read of WORKSPACE_ID; forget reads too old to be used."""
        self._last_read[workspace_id] = (now, state)
        if now - self._pruned_at > 60:
            self._pruned_at = now
            horizon = now - self.outage_seconds
            for stale in [k for k, (at, _) in self._last_read.items() if at < horizon]:
                del self._last_read[stale]

    def _last_known(self, workspace_id: str, now: float) -> CommandState:
        """The last state read of WORKSPACE_ID while the database is down, or StoreUnavailable."""
        read = self._last_read.get(workspace_id)
        minutes = f"{self.outage_seconds / 60:g}"
        if read is not None and now - read[0] <= self.outage_seconds:
            self._warnings.warn(
                "outage",
                f"the database does not answer ({self._down_cause}); commands answer from this "
                f"process's last read of each workspace, up to {minutes} minutes old",
            )
            return read[1]
        self._warnings.warn(
            "outage:unknown",
            f"the database does not answer ({self._down_cause}); a workspace this process has "
            f"not read in the last {minutes} minutes is told the database is unavailable",
        )
        raise StoreUnavailable(writing=False, cause=self._down_cause)

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
        with _unavailable_when_down(writing=True):
            async with self.database.transaction() as connection:
                return await ensure_workspace_row(
                    connection, workspace_id, name=name, locale=locale, time_zone=time_zone
                )

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        """The workspace, or None when the bot has never seen it."""
        with _unavailable_when_down(writing=False):
            workspace_id = parse_workspace_id(workspace_id)
            query = select(workspaces).where(workspaces.c.id == workspace_id)
            async with self.database.engine.connect() as connection:
                row = (await connection.execute(query)).one_or_none()
            return None if row is None else workspace_record(row)

    async def set_read_policy(self, workspace_id: str, policy: ReadPolicy, *, by: str) -> Workspace:
        """Let everyone, or admins only, read billing; a change is audited as role_change."""
        with _unavailable_when_down(writing=True):
            if policy not in get_args(ReadPolicy):
                raise ValueError("the read policy is 'everyone' or 'admins'")
            try:
                async with self.database.transaction() as connection:
                    workspace = await ensure_workspace_row(connection, workspace_id, lock=True)
                    if workspace.read_policy == policy:
                        return workspace
                    statement = update(workspaces).where(workspaces.c.id == workspace.id)
                    await connection.execute(statement.values(read_policy=policy))
                    await write_audit(
                        connection,
                        workspace.id,
                        "role_change",
                        actor=by,
                        detail=f"billing readable by {policy} (was {workspace.read_policy})",
                    )
                    return await ensure_workspace_row(connection, workspace.id)
            finally:
                self._changed(workspace_id)

    async def set_time_zone(self, workspace_id: str, zone: str) -> None:
        """Make ZONE (an IANA name) the workspace's own time zone: the default of `digest on`."""
        with _unavailable_when_down(writing=True):
            async with self.database.transaction() as connection:
                workspace = await ensure_workspace_row(connection, workspace_id, lock=True)
                statement = update(workspaces).where(workspaces.c.id == workspace.id)
                await connection.execute(statement.values(time_zone=zone))

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
        with _unavailable_when_down(writing=True):
            try:
                return await self._credentials.save(
                    workspace_id, key, key_type=key_type, set_by=set_by, verified_at=verified_at
                )
            finally:
                self._changed(workspace_id)

    async def load_key(self, workspace_id: str) -> SecretStr | None:
        """The workspace's Venice key, or None; MasterKeyMissing / SecretUnreadable otherwise."""
        with _unavailable_when_down(writing=False):
            return await self._credentials.load_key(workspace_id)

    async def credential_info(self, workspace_id: str) -> CredentialInfo | None:
        """What may be shown about the workspace's key (never the key), or None."""
        with _unavailable_when_down(writing=False):
            return await self._credentials.info(workspace_id)

    async def record_check(self, workspace_id: str, *, at: datetime, error: str | None) -> None:
        """Note a live check: verified AT when ERROR is None, else the short ERROR sentence.

        Nothing is written (no transaction opened) when this process's copy of the workspace
        already holds that check, as after every answer served from the cache."""
        workspace_id = parse_workspace_id(workspace_id)
        now = time.monotonic()
        kept = self._states.get(workspace_id)
        if kept is not None and kept[0] > now and not kept[1].check_is_news(at, error):
            return
        if now < self._down_until:
            return  # the database does not answer: a check is only worth a try, not a wait
        generation = self._generation
        try:
            with _unavailable_when_down(writing=True):
                await self._credentials.record_check(workspace_id, at=at, error=error)
        except StoreUnavailable as down:
            self._down_until = now + self.retry_seconds
            self._down_cause = down.cause
            raise
        kept = self._states.get(workspace_id)
        if kept is not None and generation == self._generation:
            # What the row now holds (or, had it a later check already, an earlier one: which
            # only means the next such check is written again).
            checked = (
                replace(kept[1], last_verified_at=at, last_error=None)
                if error is None
                else replace(kept[1], last_error=error[:500])
            )
            self._states[workspace_id] = (kept[0], checked)

    async def remove_credential(self, workspace_id: str, *, by: str) -> bool:
        """Delete the workspace's key (audited disconnect); False when it had none."""
        with _unavailable_when_down(writing=True):
            try:
                return await self._credentials.remove(workspace_id, by=by)
            finally:
                self._changed(workspace_id)

    async def rotate_secrets(self, *, by: str = "cli") -> RotationReport:
        """Re-encrypt every key not under the newest master key (safe to interrupt and re-run)."""
        try:
            return await rotate_secrets(self.database, self.box, by=by)
        finally:
            self._changed()

    async def missing_master_keys(self) -> set[str]:
        """Ids of master keys that stored keys need and the keyring lacks."""
        return await self._credentials.missing_master_keys()

    async def require_master_keys(self) -> None:
        """MasterKeyMissing naming every master key that stored keys need and the keyring lacks."""
        missing = sorted(await self.missing_master_keys())
        if missing:
            raise MasterKeyMissing(*missing)


@contextmanager
def _unavailable_when_down(*, writing: bool) -> Iterator[None]:
    """A database that does not answer, as StoreUnavailable (the bot answers it in a sentence)."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as error:
        if unreachable(error):
            raise StoreUnavailable(writing=writing, cause=unreachable_reason(error)) from None
        raise
