"""The connect flow every platform shares: check a submitted Venice key live, then store it.

The key arrives privately (a Slack or Discord modal, `venice-bot keys set` on standard input).
It is never echoed, logged or put in an exception: cards name it by its last 4 characters only,
and only after Venice accepted it as an ADMIN key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from bot.cards import Card, Tone
from bot.command_spec import Caller
from bot.commands import connect as connect_command
from bot.commands.status import credential_data, credential_fields
from bot.deadline import Deadline
from bot.error_cards import KEY_SETTINGS_URL, store_unavailable_card
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    PaymentRequired,
    StoreUnavailable,
    VeniceError,
    VeniceUnavailable,
)
from bot.logs import register_secret
from bot.permissions import forbidden_card
from bot.venice.client import VeniceClient
from bot.workspaces import WorkspaceKeys, shown_fingerprint

log = logging.getLogger(__name__)

KEY_TYPE = "admin"  # billing needs an admin key; inference keys are refused before storing


@dataclass(frozen=True, slots=True)
class ConnectResult:
    """What to show the admin (`card`, private), whether the key was stored, and its fingerprint."""

    card: Card
    ok: bool
    fingerprint: str | None = None


async def connect_key(
    store: WorkspaceKeys,
    venice: VeniceClient,
    workspace_id: str,
    key: SecretStr,
    caller: Caller,
    deadline: Deadline,
) -> ConnectResult:
    """Verify KEY with `GET /billing/balance` and store it for WORKSPACE_ID; refuse otherwise."""
    if not caller.is_admin:
        return ConnectResult(forbidden_card(connect_command.SPEC), ok=False)
    secret = key.get_secret_value().strip()
    # Registered first: whatever logs from here on cannot show it, whichever logger writes.
    register_secret(secret)
    if not secret:
        return _refused(
            "No key given",
            "No key was given, so nothing was stored. Paste a Venice ADMIN key.",
            "NoKey",
        )
    try:
        await venice.get_balance(SecretStr(secret), deadline)
    except VeniceError as error:
        log.info("connect %s: key refused (%s)", workspace_id, type(error).__name__)
        return _refusal_for(error)
    try:
        replaced = await store.credential_info(workspace_id) is not None
        info = await store.save_credential(
            workspace_id,
            SecretStr(secret),
            key_type=KEY_TYPE,
            set_by=caller.display,
            verified_at=datetime.now(UTC),
        )
    except StoreUnavailable:
        log.info("connect %s: the database is unavailable; nothing stored", workspace_id)
        return ConnectResult(store_unavailable_card(writing=True), ok=False)
    shown = shown_fingerprint(info.fingerprint)
    log.info("connect %s: stored a verified %s key %s", workspace_id, KEY_TYPE, shown)
    previous = " It replaces the key connected before." if replaced else ""
    return ConnectResult(
        Card(
            title="Venice key connected",
            tone=Tone.GOOD,
            summary=(
                f"Venice accepted the {KEY_TYPE} key {shown}; it is stored encrypted and billing "
                f"commands here use it now.{previous}"
            ),
            fields=credential_fields(info),
            notes=(ALERT_SUGGESTION,),
            data={
                "workspace_id": workspace_id,
                "connected": True,
                "replaced": replaced,
                "credential": credential_data(info),
            },
        ),
        ok=True,
        fingerprint=info.fingerprint,
    )


# What to do next: be warned before the money runs out (bot/commands/alert.py).
ALERT_SUGGESTION = (
    "Next: be warned before the money runs out. In the channel that should hear it, an admin "
    "types `alert on runway below 3d` (or `help alert` for the other rules)."
)


def _refusal_for(error: VeniceError) -> ConnectResult:
    """Why Venice's answer means the key must not be stored, and what to do instead."""
    if isinstance(error, AdminKeyRequired):
        return _refused(
            "Admin key required",
            "That is a Venice INFERENCE key, and billing needs an ADMIN key, so it was not "
            f"stored. In Venice open Settings > API keys ({KEY_SETTINGS_URL}), create a key of "
            "type Admin, and connect that one.",
            "AdminKeyRequired",
            status=error.status,
        )
    if isinstance(error, BadKey | PaymentRequired):
        return _refused(
            "Venice rejected the key",
            "Venice does not recognise that key (revoked, mistyped or expired), so it was not "
            f"stored. Copy an ADMIN key from {KEY_SETTINGS_URL} and connect again.",
            type(error).__name__,
            status=error.status,
        )
    if isinstance(error, VeniceUnavailable):
        return _refused(
            "Could not check the key",
            "Venice did not answer, so the key could not be checked and was not stored. Try "
            "again in a minute.",
            type(error).__name__,
            status=error.status,
        )
    return _refused(
        "Could not check the key",
        "Venice gave an answer the bot did not expect, so the key was not stored. Try again in "
        "a minute, and report it if it keeps happening.",
        type(error).__name__,
        status=error.status,
    )


def _refused(title: str, summary: str, error: str, *, status: int | None = None) -> ConnectResult:
    data: dict[str, Any] = {"error": error, "status": status, "retry_after": None, "stored": False}
    return ConnectResult(
        Card(title=title, kind="error", tone=Tone.WARNING, summary=summary, data=data),
        ok=False,
    )
