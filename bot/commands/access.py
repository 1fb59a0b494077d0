"""`access [everyone|admins]`: who in this workspace may read billing (admins decide)."""

from __future__ import annotations

from bot.cards import Card, Field, Tone
from bot.command_options import Option
from bot.command_spec import CommandContext, CommandSpec
from bot.error_cards import no_workspace_card
from bot.errors import CommandTextError
from bot.invocation import Invocation
from bot.workspaces import ReadPolicy

POLICY_WORDS: dict[str, ReadPolicy] = {
    "everyone": "everyone",
    "all": "everyone",
    "admins": "admins",
    "admin": "admins",
}
DESCRIBED = {
    "everyone": "everyone in this workspace",
    "admins": "workspace admins only",
}


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """Show the read policy, or change it when a policy word is given."""
    scope = ctx.workspace_scope()
    if scope is None:
        return no_workspace_card(
            "`access` sets who may read billing in a chat workspace; "
            "a terminal with VENICE_API_KEY has no workspace."
        )
    workspace, keys = scope
    if invocation.topic is None:
        return _policy_card(workspace, ctx.read_policy, changed=False)
    policy = POLICY_WORDS.get(invocation.topic)
    if policy is None:
        raise CommandTextError(
            "Who may read billing is `everyone` or `admins`.", example="access admins"
        )
    by = ctx.caller.display if ctx.caller is not None else "unknown"
    await keys.set_read_policy(workspace, policy, by=by)
    return _policy_card(workspace, policy, changed=policy != ctx.read_policy)


WHO_CAN = {"everyone": "Everyone in this workspace", "admins": "Only workspace admins"}


def _policy_card(workspace: str, policy: ReadPolicy, *, changed: bool) -> Card:
    verb = "can now read" if changed else "can read"
    return Card(
        title="Billing access",
        tone=Tone.GOOD if changed else Tone.INFO,
        kind="help",
        summary=f"{WHO_CAN[policy]} {verb} billing here.",
        fields=(Field("Readable by", DESCRIBED[policy]),),
        notes=("Change it with `access everyone` or `access admins` (admins only).",),
        data={"workspace_id": workspace, "read_policy": policy, "changed": changed},
    )


SPEC = CommandSpec(
    name="access",
    summary="Who may read billing here: everyone (the default) or admins only (admins)",
    usage="access [everyone|admins]",
    examples=("access", "access admins"),
    arguments=("topic",),
    options=(
        Option("who", "Who may read billing here (leave empty to see)", choices=tuple(DESCRIBED)),
    ),
    handler=handle,
    details=(
        "With no word, says who may read billing in this workspace. `access admins` limits "
        "balance, usage and the top lists to workspace admins; `access everyone` opens them "
        "again. Help, status and errors stay available to everyone."
    ),
    access="admin",
    admin_action="change who may read billing",
    store="changes",
)
