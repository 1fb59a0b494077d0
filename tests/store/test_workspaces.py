"""Workspaces: created on first sight, their details and read policy kept, changes audited."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.store import Database, WorkspaceStore
from bot.workspaces import InvalidWorkspaceId

KEY = "VENICE_ADMIN_KEY_" + "listing0123456789"


async def test_ensure_creates_once_and_updates_given_details(store: WorkspaceStore):
    assert await store.get_workspace("discord:42") is None
    created = await store.ensure_workspace("discord:42", name="Guild", time_zone="Europe/Rome")
    assert (created.id, created.platform, created.external_id) == ("discord:42", "discord", "42")
    assert (created.name, created.locale, created.time_zone) == ("Guild", None, "Europe/Rome")
    assert created.read_policy == "everyone"

    assert await store.ensure_workspace("discord:42") == created
    renamed = await store.ensure_workspace("discord:42", name="Guild 2", locale="it-IT")
    assert (renamed.name, renamed.locale, renamed.time_zone) == ("Guild 2", "it-IT", "Europe/Rome")
    assert await store.get_workspace("discord:42") == renamed


async def test_invalid_ids_are_refused(store: WorkspaceStore):
    with pytest.raises(InvalidWorkspaceId):
        await store.ensure_workspace("teams:42")
    with pytest.raises(InvalidWorkspaceId):
        await store.load_key("slack")


async def test_a_read_policy_change_is_audited_once(store: WorkspaceStore):
    changed = await store.set_read_policy("slack:TA", "admins", by="U1 (alice)")
    assert changed.read_policy == "admins"
    assert (await store.set_read_policy("slack:TA", "admins", by="U1 (alice)")) == changed
    back = await store.set_read_policy("slack:TA", "everyone", by="U2 (bob)")
    assert back.read_policy == "everyone"
    log = await store.audit_log("slack:TA")
    assert [(e.action, e.actor) for e in log] == [
        ("role_change", "U1 (alice)"),
        ("role_change", "U2 (bob)"),
    ]
    assert "admins" in log[0].detail
    with pytest.raises(ValueError, match="everyone"):
        await store.set_read_policy("slack:TA", "nobody", by="x")  # type: ignore[arg-type]


async def test_list_shows_every_workspace_with_its_credential(store: WorkspaceStore):
    await store.ensure_workspace("slack:TB", name="Beta")
    await store.save_credential(
        "discord:7", SecretStr(KEY), key_type="admin", set_by="U1", verified_at=datetime.now(UTC)
    )
    summaries = await store.list_workspaces()
    assert [s.workspace.id for s in summaries] == ["discord:7", "slack:TB"]
    assert summaries[0].credential is not None
    assert summaries[0].credential.fingerprint == "6789"
    assert summaries[1].credential is None
    assert KEY not in repr(summaries)


async def test_deleting_a_workspace_deletes_its_key_but_not_its_audit(
    database: Database, store: WorkspaceStore
):
    await store.save_credential(
        "slack:TA", SecretStr(KEY), key_type="admin", set_by="U1", verified_at=datetime.now(UTC)
    )
    async with database.transaction() as connection:
        await connection.execute(text("DELETE FROM workspaces WHERE id = 'slack:TA'"))
    assert await store.load_key("slack:TA") is None
    assert [e.action for e in await store.audit_log("slack:TA")] == ["connect"]
