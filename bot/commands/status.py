"""`status`: which Venice key this workspace uses, shown by its last 4 characters only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.cards import Card, Field, Tone
from bot.command_spec import CommandContext, CommandSpec
from bot.commands.access import DESCRIBED
from bot.error_cards import no_workspace_card
from bot.invocation import Invocation
from bot.workspaces import CredentialView, shown_fingerprint


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Describe the stored key: fingerprint, type, who set it and when, the last check."""
    scope = ctx.workspace_scope()
    if scope is None:
        return no_workspace_card(
            "`status` describes a workspace's stored key. In a terminal: "
            "`venice-bot ask status --workspace WORKSPACE`, or `venice-bot keys list`.",
            connected=False,
        )
    workspace, keys = scope
    info = await keys.credential_info(workspace)
    if info is None:
        return Card(
            title="Venice key: not connected",
            tone=Tone.WARNING,
            summary="No key connected; an admin can run `connect`.",
            fields=(readable_by(ctx),),
            data={"workspace_id": workspace, "connected": False, "read_policy": ctx.read_policy},
        )
    return Card(
        title="Venice key: connected",
        tone=Tone.WARNING if info.last_error else Tone.GOOD,
        summary=f"This workspace reads billing with the {info.key_type} key "
        f"{shown_fingerprint(info.fingerprint)}.",
        fields=(*credential_fields(info), readable_by(ctx)),
        data={
            "workspace_id": workspace,
            "connected": True,
            "read_policy": ctx.read_policy,
            "credential": credential_data(info),
        },
    )


def credential_fields(info: CredentialView) -> tuple[Field, ...]:
    """Fingerprint, type, who set it and when, last verified, and the last error if any."""
    fields = [
        Field("Fingerprint", shown_fingerprint(info.fingerprint)),
        Field("Type", info.key_type),
        Field("Set by", info.set_by),
        Field("Set at", utc_minute(info.set_at)),
        Field("Last verified", utc_minute(info.last_verified_at)),
    ]
    if info.last_error:
        fields.append(Field("Last error", info.last_error))
    return tuple(fields)


def readable_by(ctx: CommandContext) -> Field:
    """Who may read billing here (the workspace's policy, set with `access`)."""
    return Field("Readable by", DESCRIBED[ctx.read_policy])


def credential_data(info: CredentialView) -> dict[str, Any]:
    """The same facts for `--format json` (never the key, never the ciphertext)."""
    return {
        "fingerprint": info.fingerprint,
        "key_type": info.key_type,
        "master_key_id": info.key_id,
        "set_by": info.set_by,
        "set_at": info.set_at,
        "last_verified_at": info.last_verified_at,
        "last_error": info.last_error,
    }


def utc_minute(when: datetime | None) -> str:
    """`2026-11-22 14:03 UTC`, or `never`."""
    if when is None:
        return "never"
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


SPEC = CommandSpec(
    name="status",
    summary="Which Venice key this workspace uses: fingerprint, type, who set it and when",
    usage="status",
    examples=("status",),
    arguments=(),
    handler=handle,
    details=(
        "Shows the connected key by its last 4 characters only, its type, who connected it and "
        "when, when it last worked, and the last error Venice gave."
    ),
)
