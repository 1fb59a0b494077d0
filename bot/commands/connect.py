"""`connect`: ask for the workspace's Venice key privately; the key is never typed in a channel."""

from __future__ import annotations

from bot.cards import Card, SecretPrompt, Tone
from bot.command_spec import CommandContext, CommandSpec
from bot.invocation import Invocation

ADMIN_KEY_HOWTO = (
    "Billing needs a Venice ADMIN key: in Venice open Settings > API keys "
    "(https://venice.ai/settings/api) and create a key of type Admin."
)


async def handle(invocation: Invocation, ctx: CommandContext) -> Card:
    """A card that asks the adapter to collect the key privately (a modal in chat)."""
    workspace = ctx.workspace_id
    if workspace is None:
        summary = (
            "Keys are never typed into commands. In a terminal, store a workspace's key with "
            "`venice-bot keys set WORKSPACE` (it reads the key without showing it); without a "
            "workspace, `venice-bot ask` uses VENICE_API_KEY."
        )
    else:
        summary = (
            "Keys are never typed into commands: I will ask for it privately. In a terminal, "
            f"run `venice-bot keys set {workspace}` and paste the key when asked."
        )
    return Card(
        title="Connect a Venice key",
        kind="connect",
        tone=Tone.INFO,
        summary=summary,
        notes=(ADMIN_KEY_HOWTO,),
        data={"workspace_id": workspace, "secret": "venice_key"},
        ask=key_prompt(workspace),
    )


def key_prompt(workspace_id: str | None) -> SecretPrompt:
    """What the connect modal asks for, in the words every platform shows (App Home's Connect
    button opens the same modal)."""
    return SecretPrompt(
        asks_for="venice_key",
        workspace_id=workspace_id,
        title="Connect a Venice key",
        label="Venice ADMIN key",
        hint=ADMIN_KEY_HOWTO,
    )


SPEC = CommandSpec(
    name="connect",
    summary="Connect this workspace's Venice admin key (admins; the key is asked for privately)",
    usage="connect",
    examples=("connect",),
    arguments=(),
    handler=handle,
    details=(
        "Asks for the key privately, checks it with Venice, and stores it encrypted. Never type a "
        "key after `connect`: a key in a channel must be revoked. Only workspace admins can "
        "connect a key."
    ),
    access="admin",
    admin_action="connect a Venice key",
    secret_input=True,
    store="changes",
)
