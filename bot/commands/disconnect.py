"""`disconnect`: delete the workspace's stored Venice key (admins only), once they confirm."""

from __future__ import annotations

import dataclasses

from bot.cards import Card, Confirm, Tone
from bot.command_spec import CommandContext, CommandSpec
from bot.error_cards import no_workspace_card
from bot.invocation import Invocation


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Ask first; once confirmed, delete the key (billing commands then need a new `connect`)."""
    scope = ctx.workspace_scope()
    if scope is None:
        return no_workspace_card(
            "`disconnect` removes a workspace's stored key. In a terminal: "
            "`venice-bot keys remove WORKSPACE`.",
            removed=False,
        )
    workspace, keys = scope
    if not invocation.confirmed and await keys.credential_info(workspace) is not None:
        return _question(dataclasses.replace(invocation, confirmed=True))
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


# The question, written once for every platform (the Discord wording of before: it says what
# to do if the key leaked, which deleting it here does not undo).
QUESTION_TITLE = "Delete this workspace's Venice key?"
QUESTION = (
    "Billing commands stop working here until an admin runs `connect` again. The key itself "
    "stays valid in Venice: revoke it there if it leaked."
)
CANCELLED = Card(
    title="Nothing was deleted",
    kind="help",
    tone=Tone.INFO,
    summary="The Venice key stays connected.",
)


def _question(run: Invocation) -> Card:
    return Card(
        title=QUESTION_TITLE,
        kind="help",
        tone=Tone.WARNING,
        summary=QUESTION,
        ask=Confirm(run=run, confirm_label="Delete the key", cancelled=CANCELLED),
    )


SPEC = CommandSpec(
    name="disconnect",
    summary="Delete this workspace's Venice key (admins)",
    usage="disconnect",
    examples=("disconnect",),
    arguments=(),
    handler=handle,
    details=(
        "Deletes the stored key, after asking in Slack and Discord (in a terminal the typed "
        "command is its own yes); billing commands stop working until an admin runs `connect` "
        "again. The key itself stays valid in Venice: revoke it there if it leaked."
    ),
    access="admin",
    admin_action="disconnect the Venice key",
    store="changes",
)
