"""`disconnect`: delete the workspace's stored Venice key (admins only)."""

from __future__ import annotations

from bot.cards import Card, Tone
from bot.command_spec import CommandContext, CommandSpec
from bot.error_cards import no_workspace_card
from bot.invocation import Invocation


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Delete the key; billing commands then need a new `connect`."""
    scope = ctx.workspace_scope()
    if scope is None:
        return no_workspace_card(
            "`disconnect` removes a workspace's stored key. In a terminal: "
            "`venice-bot keys remove WORKSPACE`.",
            removed=False,
        )
    workspace, keys = scope
    by = ctx.caller.display if ctx.caller is not None else "unknown"
    removed = await keys.remove_credential(workspace, by=by)
    if not removed:
        return Card(
            title="No Venice key to remove",
            tone=Tone.INFO,
            summary="No Venice key is connected to this workspace; nothing was removed.",
            data={"workspace_id": workspace, "removed": False},
        )
    return Card(
        title="Venice key disconnected",
        tone=Tone.GOOD,
        summary=(
            "The workspace's Venice key was deleted. Billing commands stop working here until "
            "an admin runs `connect` again."
        ),
        data={"workspace_id": workspace, "removed": True},
    )


SPEC = CommandSpec(
    name="disconnect",
    summary="Delete this workspace's Venice key (admins)",
    usage="disconnect",
    examples=("disconnect",),
    arguments=(),
    handler=handle,
    details=(
        "Deletes the stored key at once; billing commands stop working until an admin runs "
        "`connect` again. The key itself stays valid in Venice: revoke it there if it leaked."
    ),
    access="admin",
    admin_action="disconnect the Venice key",
)
