"""The workspace store while its PostgreSQL is down (a server of the test's own, stopped and
started): commands get the last state this process read, for `outage_seconds` from that read;
a workspace it never read, and every change, get StoreUnavailable; the database is used again
once it answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from bot.errors import StoreUnavailable
from bot.secrets import Keyring, SecretBox, generate_master_key
from bot.store import Database, WorkspaceStore
from tests.services import PrivatePostgres

KNOWN = "slack:T0KNOWN"
UNKNOWN = "slack:T0UNKNOWN"
KEY = "VENICE_ADMIN_KEY_" + "known-workspace-0001"


@pytest.fixture
async def store(private_postgres: PrivatePostgres) -> AsyncIterator[WorkspaceStore]:
    database = await Database.open(private_postgres.url)
    await database.upgrade()
    store = WorkspaceStore(database, SecretBox(Keyring((generate_master_key("k1"),))))
    store.command_state_seconds = 0  # every command reads the database
    store.retry_seconds = 0.2
    for workspace in (KNOWN, UNKNOWN):
        await store.save_credential(
            workspace, SecretStr(KEY), key_type="admin", set_by="test", verified_at=_now()
        )
    await store.set_read_policy(KNOWN, "admins", by="test")
    try:
        yield store
    finally:
        await database.aclose()


def _now() -> datetime:
    return datetime.now(UTC)


async def test_a_workspace_read_before_the_outage_keeps_its_state(
    store: WorkspaceStore, private_postgres: PrivatePostgres
):
    before = await store.command_state(KNOWN)
    private_postgres.stop()
    during = await store.command_state(KNOWN)
    assert during == before
    assert during.read_policy == "admins"
    assert during.key is not None
    assert during.key.get_secret_value() == KEY


async def test_a_workspace_never_read_and_every_change_are_unavailable(
    store: WorkspaceStore, private_postgres: PrivatePostgres
):
    await store.command_state(KNOWN)
    private_postgres.stop()
    with pytest.raises(StoreUnavailable) as reading:
        await store.command_state(UNKNOWN)
    assert reading.value.writing is False
    changes = [
        store.set_read_policy(KNOWN, "everyone", by="test"),
        store.remove_credential(KNOWN, by="test"),
        store.save_credential(
            KNOWN, SecretStr(KEY), key_type="admin", set_by="t", verified_at=_now()
        ),
    ]
    for change in changes:
        with pytest.raises(StoreUnavailable) as writing:
            await change
        assert writing.value.writing is True
    with pytest.raises(StoreUnavailable):
        await store.credential_info(KNOWN)


async def test_the_last_read_is_used_for_a_bounded_time_only(
    store: WorkspaceStore, private_postgres: PrivatePostgres
):
    store.outage_seconds = 0.5
    await store.command_state(KNOWN)
    private_postgres.stop()
    assert (await store.command_state(KNOWN)).read_policy == "admins"
    await asyncio.sleep(0.6)
    with pytest.raises(StoreUnavailable):
        await store.command_state(KNOWN)


async def test_the_database_is_used_again_once_it_answers(
    store: WorkspaceStore, private_postgres: PrivatePostgres
):
    await store.command_state(KNOWN)
    private_postgres.stop()
    with pytest.raises(StoreUnavailable):
        await store.command_state(UNKNOWN)
    private_postgres.start()
    await asyncio.sleep(0.25)  # past retry_seconds
    assert (await store.command_state(UNKNOWN)).key is not None
    await store.set_read_policy(KNOWN, "everyone", by="test")
    assert (await store.command_state(KNOWN)).read_policy == "everyone"


async def test_a_check_after_an_answer_is_skipped_not_waited_for(
    store: WorkspaceStore, private_postgres: PrivatePostgres
):
    await store.command_state(KNOWN)
    private_postgres.stop()
    await store.command_state(KNOWN)  # the failed read: the database is left alone a moment
    await store.record_check(KNOWN, at=_now(), error=None)  # no error, no wait
