"""Slack tokens at rest: sealed text (`enc:v1:` + base64 of a SecretBox blob), and `keys rotate`
for them. Each token is bound to its workspace and purpose (`slack:T0123:bot_token:v1`), so a
ciphertext copied into another team's row, or into another column, fails to open."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import Table, select, update

from adapters.slack.tables import (
    SEALED_BOT_COLUMNS,
    SEALED_INSTALLATION_COLUMNS,
    slack_bots,
    slack_installations,
)
from bot.secrets import MasterKeyMissing, SecretBox, SecretUnreadable, key_id_of, secret_context
from bot.store.database import Database
from bot.store.records import RotationReport
from bot.store.rows import write_audit

PREFIX = "enc:v1:"


def slack_owner(team_id: str | None, enterprise_id: str | None) -> str:
    """The workspace an installation's secrets belong to: `slack:T0123` (org-wide: `slack:E01`)."""
    owner = team_id or enterprise_id
    if not owner:
        raise ValueError("a Slack installation has a team id or an enterprise id")
    return f"slack:{owner}"


def token_context(owner: str, purpose: str) -> str:
    """The associated data of one sealed Slack secret (PURPOSE is its column name)."""
    return secret_context(owner, purpose)


def seal_text(box: SecretBox, value: str, *, owner: str, purpose: str) -> str:
    """VALUE sealed and written as text a String/Text column holds."""
    blob = box.seal(value, context=token_context(owner, purpose))
    return PREFIX + base64.b64encode(blob).decode("ascii")


def open_text(box: SecretBox, text: str, *, owner: str, purpose: str) -> str:
    """The plaintext of sealed TEXT; SecretUnreadable (or MasterKeyMissing) when it cannot be."""
    return box.open(_blob(text, owner), context=token_context(owner, purpose))


def sealed_key_id(text: str) -> str:
    """The id of the master key that sealed TEXT."""
    return key_id_of(_blob(text, None))


def _blob(text: str, owner: str | None) -> bytes:
    # Plaintext never reaches these tables: anything without the prefix is refused, not used.
    if not text.startswith(PREFIX):
        raise SecretUnreadable(owner)
    try:
        return base64.b64decode(text[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise SecretUnreadable(owner) from None


async def rotate_slack_tokens(database: Database, box: SecretBox, *, by: str) -> RotationReport:
    """Re-seal every Slack installation/bot row holding a token not under the newest key.

    Like Venice keys: one row per transaction, rewritten only if it still holds what was read,
    so interrupted or concurrent runs are safe and a second run finds nothing to do.
    """
    re_encrypted = current = 0
    unreadable: list[str] = []
    for table, columns in (
        (slack_installations, SEALED_INSTALLATION_COLUMNS),
        (slack_bots, SEALED_BOT_COLUMNS),
    ):
        async with database.engine.connect() as connection:
            rows = (await connection.execute(select(table).order_by(table.c.id))).all()
        for row in rows:
            values = {c: getattr(row, c) for c in columns if getattr(row, c) is not None}
            if not values:
                continue
            owner = slack_owner(row.team_id, row.enterprise_id)
            try:
                stale = {
                    c: v for c, v in values.items() if sealed_key_id(v) != box.keyring.newest.id
                }
                if not stale:
                    current += 1
                    continue
                resealed = {
                    c: seal_text(
                        box, open_text(box, v, owner=owner, purpose=c), owner=owner, purpose=c
                    )
                    for c, v in stale.items()
                }
            except (MasterKeyMissing, SecretUnreadable):
                unreadable.append(f"{owner} (Slack tokens)")
                continue
            if await _rewrite(
                database, table, row.id, stale, resealed, owner=owner, by=by, box=box
            ):
                re_encrypted += 1
            else:
                current += 1
    return RotationReport(
        re_encrypted=re_encrypted, already_current=current, unreadable=tuple(unreadable)
    )


async def _rewrite(
    database: Database,
    table: Table,
    row_id: Any,
    old: dict[str, str],
    new: dict[str, str],
    *,
    owner: str,
    by: str,
    box: SecretBox,
) -> bool:
    conditions = [table.c.id == row_id, *(table.c[c] == v for c, v in old.items())]
    async with database.transaction() as connection:
        changed = await connection.execute(update(table).where(*conditions).values(**new))
        # Gone, refreshed by a token rotation, or rotated by another run since it was read.
        if changed.rowcount != 1:
            return False
        await write_audit(
            connection,
            owner,
            "rotate",
            actor=by,
            detail=f"Slack tokens ({table.name}) re-encrypted under master key "
            f"{box.keyring.newest.id}",
        )
    return True
