"""Each workspace's Venice key, sealed by the SecretBox under that workspace's own context."""

from __future__ import annotations

from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import delete, distinct, or_, select, update

from bot.secrets import SecretBox, secret_context
from bot.store.database import Database
from bot.store.records import CredentialInfo
from bot.store.rows import (
    CREDENTIAL_INFO,
    credential_record,
    ensure_workspace_row,
    utc_now,
    write_audit,
)
from bot.store.tables import venice_credentials
from bot.workspaces import parse_workspace_id

VENICE_KEY = "venice_key"
FINGERPRINT_LENGTH = 4
# Below this length the last 4 characters would give away too much of a key to show them.
MIN_LENGTH_FOR_FINGERPRINT = 8


def fingerprint_of(key: str) -> str:
    """The last 4 characters of KEY, shown so people can tell keys apart (empty for short keys)."""
    return key[-FINGERPRINT_LENGTH:] if len(key) >= MIN_LENGTH_FOR_FINGERPRINT else ""


def venice_key_context(workspace_id: str) -> str:
    """The associated data a workspace's Venice key is sealed under."""
    return secret_context(workspace_id, VENICE_KEY)


class Credentials:
    """Save, read, check and remove the Venice key of each workspace."""

    def __init__(self, database: Database, box: SecretBox) -> None:
        self._database = database
        self._box = box

    async def save(
        self,
        workspace_id: str,
        key: SecretStr,
        *,
        key_type: str,
        set_by: str,
        verified_at: datetime,
    ) -> CredentialInfo:
        """Store KEY (sealed) for the workspace, replacing any earlier one; audits the change."""
        plaintext = key.get_secret_value().strip()
        if not plaintext:
            raise ValueError("an empty key cannot be stored")
        workspace_id = parse_workspace_id(workspace_id)
        table = venice_credentials
        set_at = utc_now()
        values = {
            "ciphertext": self._box.seal(plaintext, context=venice_key_context(workspace_id)),
            "key_id": self._box.keyring.newest.id,
            "fingerprint": fingerprint_of(plaintext),
            "key_type": key_type,
            "set_by": set_by[:200],
            "set_at": set_at,
            "last_verified_at": verified_at,
            "last_error": None,
        }
        async with self._database.transaction() as connection:
            await ensure_workspace_row(connection, workspace_id, lock=True)
            earlier = (
                await connection.execute(
                    select(table.c.fingerprint).where(table.c.workspace_id == workspace_id)
                )
            ).one_or_none()
            if earlier is None:
                await connection.execute(table.insert().values(workspace_id=workspace_id, **values))
                detail = f"{key_type} key …{values['fingerprint']}"
            else:
                await connection.execute(
                    update(table).where(table.c.workspace_id == workspace_id).values(**values)
                )
                detail = f"{key_type} key …{values['fingerprint']} replaced …{earlier.fingerprint}"
            await write_audit(
                connection,
                workspace_id,
                "connect" if earlier is None else "replace",
                actor=set_by,
                detail=detail,
                at=set_at,
            )
            row = (
                await connection.execute(
                    select(*CREDENTIAL_INFO).where(table.c.workspace_id == workspace_id)
                )
            ).one()
        return credential_record(row)

    async def load_key(self, workspace_id: str) -> SecretStr | None:
        """The workspace's Venice key, or None; MasterKeyMissing / SecretUnreadable otherwise."""
        workspace_id = parse_workspace_id(workspace_id)
        async with self._database.engine.connect() as connection:
            blob = await connection.scalar(
                select(venice_credentials.c.ciphertext).where(
                    venice_credentials.c.workspace_id == workspace_id
                )
            )
        if blob is None:
            return None
        return SecretStr(self._box.open(bytes(blob), context=venice_key_context(workspace_id)))

    async def info(self, workspace_id: str) -> CredentialInfo | None:
        """What may be shown about the workspace's key, or None when it has none."""
        workspace_id = parse_workspace_id(workspace_id)
        async with self._database.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(*CREDENTIAL_INFO).where(
                        venice_credentials.c.workspace_id == workspace_id
                    )
                )
            ).one_or_none()
        return None if row is None else credential_record(row)

    async def record_check(self, workspace_id: str, *, at: datetime, error: str | None) -> None:
        """Note a live check of the key: verified AT, or failed with ERROR (a short sentence)."""
        workspace_id = parse_workspace_id(workspace_id)
        values = (
            {"last_verified_at": at, "last_error": None}
            if error is None
            else {"last_error": error[:500]}
        )
        table = venice_credentials
        statement = update(table).where(table.c.workspace_id == workspace_id)
        if error is None:
            # Answers served from the cache prove the key as of their fetch: never move the
            # check backwards, and leave the row alone when nothing would change.
            statement = statement.where(
                or_(
                    table.c.last_verified_at.is_(None),
                    table.c.last_verified_at < at,
                    table.c.last_error.is_not(None),
                )
            )
        async with self._database.transaction() as connection:
            await connection.execute(statement.values(**values))

    async def remove(self, workspace_id: str, *, by: str) -> bool:
        """Delete the workspace's key (audited); False when it had none."""
        workspace_id = parse_workspace_id(workspace_id)
        table = venice_credentials
        async with self._database.transaction() as connection:
            removed = (
                await connection.execute(
                    delete(table)
                    .where(table.c.workspace_id == workspace_id)
                    .returning(table.c.fingerprint, table.c.key_type)
                )
            ).one_or_none()
            if removed is None:
                return False
            await write_audit(
                connection,
                workspace_id,
                "disconnect",
                actor=by,
                detail=f"{removed.key_type} key …{removed.fingerprint} removed",
            )
        return True

    async def missing_master_keys(self) -> set[str]:
        """Ids of master keys that stored ciphertexts need and the keyring lacks."""
        async with self._database.engine.connect() as connection:
            used = set(
                (await connection.scalars(select(distinct(venice_credentials.c.key_id)))).all()
            )
        return used - set(self._box.keyring.ids)
