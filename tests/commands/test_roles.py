"""Who may run what: every command x admin / member / nobody vouched for x read policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.command_spec import Caller, CommandContext
from bot.deadline import Deadline
from bot.registry import COMMANDS
from bot.store import WorkspaceStore
from tests.asking import answer_text
from tests.commands import builders
from tests.commands.builders import NOW

WORKSPACE = "slack:T0ROLES"
ADMIN = Caller("slack:U1", "ada", is_admin=True)
MEMBER = Caller("slack:U2", "bob", is_admin=False)
CALLERS = {"admin": ADMIN, "member": MEMBER, "nobody": None}

# What each command needs; a new command must be added here, which is the point.
ACCESS = {
    "balance": "read",
    "usage": "read",
    "top-keys": "read",
    "top-models": "read",
    "digest": "read",  # `on`, `off` and `now` also need an admin: tests/commands/test_digest.py
    "alert": "read",  # all but `list` also need an admin: tests/commands/test_alert.py
    "status": "read",
    "connect": "admin",
    "disconnect": "admin",
    "access": "admin",
    "help": "anyone",
}


def allowed(access: str, caller: str, policy: str) -> bool:
    if access == "anyone":
        return True
    if access == "admin":
        return caller == "admin"
    return policy == "everyone" or caller == "admin"


CASES = [
    pytest.param(command, caller, policy, allowed(access, caller, policy),
                 id=f"{command}-{caller}-{policy}")
    for command, access in ACCESS.items()
    for caller in CALLERS
    for policy in ("everyone", "admins")
]  # fmt: skip


def test_every_command_declares_the_access_the_table_expects():
    assert {name: spec.access for name, spec in COMMANDS.items()} == ACCESS


def _source():
    usage = builders.usage(days=builders.week(["1"] * 7, ["2"] * 7))
    return builders.source(balance_answer=builders.balance(), usage_answer=usage)


@pytest.mark.parametrize(("command", "caller", "policy", "expected"), CASES)
async def test_access_follows_role_and_read_policy(
    workspace_store: WorkspaceStore, command: str, caller: str, policy: str, expected: bool
):
    await workspace_store.save_credential(
        WORKSPACE,
        SecretStr("sim-admin-team-roles"),
        key_type="admin",
        set_by="setup",
        verified_at=datetime.now(UTC),
    )
    ctx = CommandContext(
        commands=COMMANDS,
        now=NOW,
        deadline=Deadline.after(10),
        source=_source(),
        workspace_id=WORKSPACE,
        caller=CALLERS[caller],
        read_policy=policy,  # type: ignore[arg-type]
        keys=workspace_store,
    )
    # Confirmed, as a terminal runs it: `disconnect` asks first otherwise (test_disconnect.py).
    reply = await answer_text(command, ctx, confirmed=True)
    if expected:
        assert reply.outcome == "answered", reply.card
    else:
        assert reply.outcome == "forbidden"
        assert reply.card.kind == "error"  # adapters keep it private
        assert "admins" in (reply.card.summary or "")
    # A refused disconnect must not have removed anything.
    still_stored = await workspace_store.credential_info(WORKSPACE) is not None
    assert still_stored == (not (command == "disconnect" and expected))


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        ("connect", "Only workspace admins can connect a Venice key; ask one of them."),
        ("disconnect", "Only workspace admins can disconnect the Venice key; ask one of them."),
    ],
)
async def test_refusal_says_who_can_do_it(command: str, sentence: str):
    ctx = CommandContext(commands=COMMANDS, now=NOW, deadline=Deadline.after(10), caller=MEMBER)
    reply = await answer_text(command, ctx)
    assert reply.outcome == "forbidden"
    assert reply.card.summary == sentence


async def test_admins_only_policy_refuses_members_billing_but_not_help():
    ctx = CommandContext(
        commands=COMMANDS,
        now=NOW,
        deadline=Deadline.after(10),
        source=_source(),
        caller=MEMBER,
        read_policy="admins",
    )
    refused = await answer_text("usage 30d", ctx)
    assert refused.outcome == "forbidden"
    assert "only admins can read billing" in (refused.card.summary or "")
    assert (await answer_text("help usage", ctx)).outcome == "answered"


async def test_policy_set_in_the_store_reaches_the_command(workspace_store: WorkspaceStore):
    """The store's read policy, as the runtime reads it, is what the core enforces."""
    from bot.workspace_context import workspace_context

    await workspace_store.set_read_policy(WORKSPACE, "admins", by="ada")
    for caller, outcome in ((MEMBER, "forbidden"), (ADMIN, "failed")):  # failed: no key stored
        ctx = await workspace_context(
            workspace_store,
            WORKSPACE,
            caller,
            lambda key, tenant: None,
            now=NOW,
            deadline=Deadline.after(10),
        )
        assert (await answer_text("balance", ctx)).outcome == outcome
