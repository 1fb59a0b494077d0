"""`access`: an admin limits billing to admins (or opens it again); members then are refused."""

from __future__ import annotations

from typing import get_args

from bot.command_spec import Caller, CommandContext
from bot.commands.access import POLICY_WORDS
from bot.deadline import Deadline
from bot.registry import COMMANDS
from bot.store import WorkspaceStore
from bot.workspace_context import workspace_context
from bot.workspaces import ReadPolicy
from tests.asking import answer_text
from tests.commands.builders import NOW

WORKSPACE = "discord:4242"
ADMIN = Caller("discord:1", "ada", is_admin=True)
MEMBER = Caller("discord:2", "bob", is_admin=False)


async def _ask(store: WorkspaceStore, text: str, caller: Caller):
    ctx = await workspace_context(
        store, WORKSPACE, caller, lambda key, tenant: None, now=NOW, deadline=Deadline.after(10)
    )
    return await answer_text(text, ctx)


def test_every_policy_has_a_word():
    assert set(POLICY_WORDS.values()) == set(get_args(ReadPolicy))


async def test_admin_limits_billing_to_admins_and_opens_it_again(workspace_store: WorkspaceStore):
    shown = await _ask(workspace_store, "access", ADMIN)
    assert shown.outcome == "answered"
    assert shown.card.summary == "Everyone in this workspace can read billing here."

    limited = await _ask(workspace_store, "access admins", ADMIN)
    assert limited.card.summary == "Only workspace admins can now read billing here."
    assert (await _ask(workspace_store, "balance", MEMBER)).outcome == "forbidden"
    member_status = await _ask(workspace_store, "status", MEMBER)
    assert member_status.outcome == "forbidden"  # status reads the workspace's key details

    await _ask(workspace_store, "access everyone", ADMIN)
    # The member may read again: with no key stored, that means "failed: no key", not forbidden.
    assert (await _ask(workspace_store, "balance", MEMBER)).outcome == "failed"
    status = await _ask(workspace_store, "status", MEMBER)
    assert ("Readable by", "everyone in this workspace") in [
        (f.label, f.value) for f in status.card.fields
    ]

    actions = [(e.action, e.actor) for e in await workspace_store.audit_log(WORKSPACE)]
    assert actions == [("role_change", "ada (discord:1)")] * 2


async def test_members_cannot_change_who_reads(workspace_store: WorkspaceStore):
    reply = await _ask(workspace_store, "access everyone", MEMBER)
    assert reply.outcome == "forbidden"
    assert reply.card.summary == (
        "Only workspace admins can change who may read billing; ask one of them."
    )
    assert await workspace_store.audit_log(WORKSPACE) == []


async def test_an_unknown_policy_word_is_explained(workspace_store: WorkspaceStore):
    reply = await _ask(workspace_store, "access nobody", ADMIN)
    assert reply.outcome == "invalid"
    assert "`everyone` or `admins`" in (reply.card.summary or "")


async def test_access_outside_a_workspace_says_so():
    ctx = CommandContext(commands=COMMANDS, now=NOW, deadline=Deadline.after(10), caller=ADMIN)
    reply = await answer_text("access admins", ctx)
    assert reply.card.title == "No workspace"
