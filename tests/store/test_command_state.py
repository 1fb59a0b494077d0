"""What a command needs of a workspace, read at once and kept a few seconds: dropped at once by
connect, disconnect and access in this process, and a cached answer's check writes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import event

from bot.store import Database, WorkspaceStore
from tests.store.conftest import K1, store_with

KEY_A = "VENICE_ADMIN_KEY_" + "commandStateA0123wxyz"
KEY_B = "VENICE_ADMIN_KEY_" + "commandStateB4567abcd"
VERIFIED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def save(store: WorkspaceStore, workspace: str, key: str) -> None:
    await store.save_credential(
        workspace, SecretStr(key), key_type="admin", set_by="U1 (alice)", verified_at=VERIFIED
    )


def count_transactions(database: Database) -> list[object]:
    """Every transaction begun on DATABASE from now on (a write, or a read in a transaction)."""
    begun: list[object] = []
    event.listen(database.engine.sync_engine, "begin", begun.append)
    return begun


async def test_one_read_gives_policy_key_and_last_check(store: WorkspaceStore):
    unknown = await store.command_state("slack:TNONE")
    assert (unknown.read_policy, unknown.key, unknown.unreadable) == ("everyone", None, None)
    await save(store, "slack:TA", KEY_A)
    state = await store.command_state("slack:TA")
    assert state.key is not None
    assert state.key.get_secret_value() == KEY_A
    assert (state.read_policy, state.last_verified_at, state.last_error) == (
        "everyone",
        VERIFIED,
        None,
    )
    assert KEY_A not in repr(state)


async def test_connect_disconnect_and_access_here_are_seen_at_once(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    assert (await store.command_state("slack:TA")).key == SecretStr(KEY_A)
    await save(store, "slack:TA", KEY_B)  # connect again: replace
    kept = await store.command_state("slack:TA")
    assert kept.key is not None
    assert kept.key.get_secret_value() == KEY_B
    await store.set_read_policy("slack:TA", "admins", by="U1 (alice)")
    assert (await store.command_state("slack:TA")).read_policy == "admins"
    assert await store.remove_credential("slack:TA", by="U1 (alice)")
    assert (await store.command_state("slack:TA")).key is None
    await save(store, "slack:TA", KEY_A)  # a workspace first seen without a key, then connected
    assert (await store.command_state("slack:TA")).key == SecretStr(KEY_A)


async def test_another_processs_change_shows_within_the_ttl(database: Database):
    here, elsewhere = store_with(database, K1), store_with(database, K1)
    here.command_state_seconds = 0.2
    await save(elsewhere, "slack:TA", KEY_A)
    assert (await here.command_state("slack:TA")).key == SecretStr(KEY_A)
    await elsewhere.set_read_policy("slack:TA", "admins", by="cli")
    await elsewhere.remove_credential("slack:TA", by="cli")
    stale = await here.command_state("slack:TA")  # kept: at most command_state_seconds old
    assert (stale.key, stale.read_policy) == (SecretStr(KEY_A), "everyone")
    await asyncio.sleep(0.25)
    fresh = await here.command_state("slack:TA")
    assert (fresh.key, fresh.read_policy) == (None, "admins")


async def test_a_check_already_recorded_opens_no_transaction(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    await store.command_state("slack:TA")
    begun = count_transactions(store.database)

    async def transactions_of(at: datetime, error: str | None = None) -> int:
        before = len(begun)
        await store.record_check("slack:TA", at=at, error=error)
        return len(begun) - before

    # Answers from the cache: as of their fetch, which the row already holds (or a later one).
    assert await transactions_of(VERIFIED) == 0
    assert await transactions_of(VERIFIED - timedelta(minutes=5)) == 0
    later = VERIFIED + timedelta(minutes=1)
    assert await transactions_of(later) == 1  # news: written once
    assert await transactions_of(later) == 0
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_verified_at == later
    assert await transactions_of(later, "Venice rejected the key.") == 1
    assert await transactions_of(later, "Venice rejected the key.") == 0
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_error == "Venice rejected the key."
    assert await transactions_of(VERIFIED) == 1  # a working answer clears the error
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_error is None


async def test_without_a_kept_copy_a_check_is_written_as_before(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    later = VERIFIED + timedelta(minutes=1)
    await store.record_check("slack:TA", at=later, error=None)
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_verified_at == later


async def test_many_workspaces_are_read_in_one_query_as_one_by_one(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    await save(store, "slack:TB", KEY_B)
    begun = count_transactions(store.database)
    states = await store.command_states(["slack:TA", "slack:TB", "slack:TNONE"])
    assert len(begun) <= 1
    assert states["slack:TA"].key == SecretStr(KEY_A)
    assert states["slack:TB"].key == SecretStr(KEY_B)
    assert (states["slack:TNONE"].key, states["slack:TNONE"].read_policy) == (None, "everyone")
    for workspace, state in states.items():
        assert await store.command_state(workspace) == state  # kept, as command_state keeps
