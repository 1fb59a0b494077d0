"""`disconnect`: the question comes from the core (a Confirm card, words written once); only a
confirmed run deletes the key. And a command that refuses one of its own actions raises
Forbidden, which the core answers as "forbidden"."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import SecretStr

from bot.cards import Card, Confirm
from bot.command_spec import Caller, CommandContext, CommandSpec
from bot.core import answer
from bot.deadline import Deadline
from bot.errors import Forbidden
from bot.invocation import Invocation
from bot.registry import COMMANDS
from bot.store import WorkspaceStore
from bot.workspace_context import workspace_context
from tests.asking import answer_text
from tests.commands.builders import NOW

WORKSPACE = "slack:TDISC"
ADMIN = Caller("slack:U1", "ada", is_admin=True)


async def _context(store: WorkspaceStore) -> CommandContext:
    return await workspace_context(
        store, WORKSPACE, ADMIN, lambda key, tenant: None, now=NOW, deadline=Deadline.after(10)
    )


async def _connect(store: WorkspaceStore) -> None:
    await store.save_credential(
        WORKSPACE,
        SecretStr("sim-admin-team-disc"),
        key_type="admin",
        set_by="setup",
        verified_at=datetime.now(UTC),
    )


async def test_disconnect_asks_first_and_the_question_runs_it_confirmed(
    workspace_store: WorkspaceStore,
):
    await _connect(workspace_store)
    reply = await answer_text("disconnect", await _context(workspace_store))
    assert reply.outcome == "answered"
    confirm = reply.card.ask
    assert isinstance(confirm, Confirm)
    assert reply.card.title == "Delete this workspace's Venice key?"
    assert reply.card.summary == (
        "Billing commands stop working here until an admin runs `connect` again. The key itself "
        "stays valid in Venice: revoke it there if it leaked."
    )
    assert (confirm.confirm_label, confirm.cancel_label) == ("Delete the key", "Cancel")
    assert confirm.cancelled.title == "Nothing was deleted"
    assert confirm.run == Invocation("disconnect", confirmed=True)
    assert await workspace_store.credential_info(WORKSPACE) is not None  # nothing deleted yet
    assert "ask" not in reply.card.to_dict()  # a request to the adapter, not a figure

    done = await answer(confirm.run, await _context(workspace_store))
    assert done.card.title == "Venice key disconnected"
    assert await workspace_store.credential_info(WORKSPACE) is None


async def test_disconnect_without_a_key_answers_at_once(workspace_store: WorkspaceStore):
    reply = await answer_text("disconnect", await _context(workspace_store))
    assert reply.card.ask is None
    assert reply.card.title == "No Venice key to remove"


async def _refuses(invocation: Invocation, ctx: CommandContext) -> Card:
    raise Forbidden("wipe everything")


async def test_a_command_raising_forbidden_is_answered_forbidden():
    wipe = CommandSpec(
        name="wipe",
        summary="Wipe",
        usage="wipe",
        examples=(),
        arguments=(),
        handler=_refuses,
        access="anyone",
    )
    ctx = CommandContext(now=NOW, deadline=Deadline.after(10), commands={"wipe": wipe})
    reply = await answer(Invocation("wipe"), ctx)
    assert reply.outcome == "forbidden"
    assert reply.card.kind == "error"
    assert reply.card.summary == "Only workspace admins can wipe everything; ask one of them."
    assert reply.card.data["access"] == "admin"


async def test_help_lists_the_registry_the_context_carries():
    only_help = {"help": COMMANDS["help"]}
    ctx = CommandContext(now=NOW, deadline=Deadline.after(10), commands=only_help)
    reply = await answer(Invocation("help"), ctx)
    assert [command["name"] for command in reply.card.data["commands"]] == ["help"]
