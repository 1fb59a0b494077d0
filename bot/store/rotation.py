"""`keys rotate`: re-encrypt every stored Venice key under the keyring's newest master key.

The Slack adapter re-seals its own tokens; `venice-bot keys rotate` runs both.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.secrets import MasterKeyMissing, SecretBox, SecretUnreadable
from bot.store.credentials import venice_key_context
from bot.store.database import Database
from bot.store.records import RotationReport
from bot.store.rows import write_audit
from bot.store.tables import venice_credentials

_RE_ENCRYPTED, _CURRENT, _UNREADABLE, _GONE = "re-encrypted", "current", "unreadable", "gone"


async def rotate_secrets(database: Database, box: SecretBox, *, by: str) -> RotationReport:
    """Re-seal each ciphertext not under the newest key, one row per transaction.

    A row is rewritten only if it still holds the ciphertext that was opened, so an interrupted
    run, or two runs at once, leave every row either rotated or as it was; running again
    finishes the job and a run with nothing left to do reports re_encrypted=0.
    """
    table = venice_credentials
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                select(table.c.workspace_id, table.c.key_id).order_by(table.c.workspace_id)
            )
        ).all()
    newest = box.keyring.newest.id
    outcomes = {_RE_ENCRYPTED: 0, _CURRENT: 0}
    unreadable: list[str] = []
    for row in rows:
        if row.key_id == newest:
            outcomes[_CURRENT] += 1
            continue
        outcome = await _rotate_row(database, box, row.workspace_id, by=by)
        if outcome == _UNREADABLE:
            unreadable.append(row.workspace_id)
        elif outcome != _GONE:
            outcomes[outcome] += 1
    return RotationReport(
        re_encrypted=outcomes[_RE_ENCRYPTED],
        already_current=outcomes[_CURRENT],
        unreadable=tuple(unreadable),
    )


async def _rotate_row(database: Database, box: SecretBox, workspace_id: str, *, by: str) -> str:
    table = venice_credentials
    newest = box.keyring.newest.id
    context = venice_key_context(workspace_id)
    async with database.transaction() as connection:
        row = (
            await connection.execute(
                select(table.c.ciphertext, table.c.key_id)
                .where(table.c.workspace_id == workspace_id)
                .with_for_update()
            )
        ).one_or_none()
        # Removed, or rotated by another run, since the list was read.
        if row is None:
            return _GONE
        if row.key_id == newest:
            return _CURRENT
        try:
            plaintext = box.open(bytes(row.ciphertext), context=context)
        except (MasterKeyMissing, SecretUnreadable):
            return _UNREADABLE
        changed = await connection.execute(
            update(table)
            .where(table.c.workspace_id == workspace_id, table.c.ciphertext == row.ciphertext)
            .values(ciphertext=box.seal(plaintext, context=context), key_id=newest)
        )
        if changed.rowcount != 1:
            return _CURRENT
        await write_audit(
            connection,
            workspace_id,
            "rotate",
            actor=by,
            detail=f"re-encrypted under master key {newest} (was {row.key_id})",
        )
    return _RE_ENCRYPTED
