"""Each workspace's Venice key: stored sealed, readable only by that workspace, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.secrets import MasterKeyMissing, SecretUnreadable
from bot.store import Database, WorkspaceStore
from tests.store.conftest import K1, K2, store_with

KEY_A = "VENICE_ADMIN_KEY_" + "workspaceA0123456789wxyz"
KEY_B = "VENICE_ADMIN_KEY_" + "workspaceB9876543210abcd"
INDIA = timezone(timedelta(hours=5, minutes=30))
VERIFIED = datetime(2026, 3, 1, 17, 30, 15, 123456, tzinfo=INDIA)


async def save(store: WorkspaceStore, workspace: str, key: str, by: str = "U1 (alice)") -> None:
    await store.save_credential(
        workspace, SecretStr(key), key_type="admin", set_by=by, verified_at=VERIFIED
    )


async def test_a_saved_key_loads_back_and_shows_only_its_fingerprint(store: WorkspaceStore):
    info = await store.save_credential(
        "slack:TA", SecretStr(KEY_A), key_type="admin", set_by="U1 (alice)", verified_at=VERIFIED
    )
    assert info.fingerprint == "wxyz"
    assert (info.key_type, info.key_id, info.set_by) == ("admin", "K1", "U1 (alice)")
    assert info.last_error is None
    assert KEY_A not in repr(info)

    loaded = await store.load_key("slack:TA")
    assert loaded is not None
    assert loaded.get_secret_value() == KEY_A
    assert KEY_A not in repr(loaded)
    assert await store.credential_info("slack:TA") == info
    assert await store.load_key("slack:TNONE") is None
    assert await store.credential_info("slack:TNONE") is None


async def test_timestamps_come_back_timezone_aware_utc(store: WorkspaceStore):
    before = datetime.now(UTC)
    await save(store, "slack:TA", KEY_A)
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_verified_at == VERIFIED
    assert info.last_verified_at is not None
    assert info.last_verified_at.tzinfo == UTC
    assert info.last_verified_at.hour == 12  # 17:30 in India is 12:00 UTC
    assert info.set_at.tzinfo == UTC
    assert before <= info.set_at <= datetime.now(UTC)
    [entry] = await store.audit_log("slack:TA")
    assert entry.at.tzinfo == UTC


async def test_a_ciphertext_copied_to_another_workspace_does_not_decrypt(
    database: Database, store: WorkspaceStore
):
    await save(store, "slack:TA", KEY_A)
    await save(store, "discord:123", KEY_B)
    async with database.transaction() as connection:
        await connection.execute(
            text(
                "UPDATE venice_credentials SET ciphertext = (SELECT ciphertext FROM "
                "venice_credentials WHERE workspace_id = 'slack:TA') "
                "WHERE workspace_id = 'discord:123'"
            )
        )
    with pytest.raises(SecretUnreadable) as caught:
        await store.load_key("discord:123")
    assert caught.value.workspace_id == "discord:123"
    assert "discord:123" in str(caught.value)
    assert "Reconnect" in str(caught.value)
    assert KEY_A not in str(caught.value)
    loaded = await store.load_key("slack:TA")
    assert loaded is not None
    assert loaded.get_secret_value() == KEY_A


async def test_altered_ciphertext_bytes_do_not_decrypt(database: Database, store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    async with database.engine.connect() as connection:
        blob = (await connection.execute(text("SELECT ciphertext FROM venice_credentials"))).one()
    altered = bytearray(blob[0])
    altered[-5] ^= 0x80
    async with database.transaction() as connection:
        await connection.execute(
            text("UPDATE venice_credentials SET ciphertext = :blob"), {"blob": bytes(altered)}
        )
    with pytest.raises(SecretUnreadable, match="slack:TA"):
        await store.load_key("slack:TA")


async def test_a_key_under_a_master_key_not_in_the_keyring_names_it(database: Database):
    await save(store_with(database, K2), "slack:TA", KEY_A)
    only_k1 = store_with(database, K1)
    assert await only_k1.missing_master_keys() == {"K2"}
    with pytest.raises(MasterKeyMissing, match="'K2'"):
        await only_k1.load_key("slack:TA")
    with pytest.raises(MasterKeyMissing, match="'K2'"):
        await only_k1.require_master_keys()
    await store_with(database, K2, K1).require_master_keys()


async def test_saving_again_replaces_the_key_and_audits_connect_then_replace(
    store: WorkspaceStore,
):
    await save(store, "slack:TA", KEY_A, by="U1 (alice)")
    await save(store, "slack:TA", KEY_B, by="U2 (bob)")
    loaded = await store.load_key("slack:TA")
    assert loaded is not None
    assert loaded.get_secret_value() == KEY_B
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert (info.fingerprint, info.set_by) == ("abcd", "U2 (bob)")
    log = await store.audit_log("slack:TA")
    assert [(e.action, e.actor) for e in log] == [
        ("connect", "U1 (alice)"),
        ("replace", "U2 (bob)"),
    ]
    for entry in log:
        assert KEY_A not in entry.detail
        assert KEY_B not in entry.detail


async def test_remove_deletes_the_key_and_audits_disconnect(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    assert await store.remove_credential("slack:TA", by="U9 (carol)")
    assert await store.load_key("slack:TA") is None
    assert await store.credential_info("slack:TA") is None
    assert not await store.remove_credential("slack:TA", by="U9 (carol)")
    log = await store.audit_log("slack:TA")
    assert [(e.action, e.actor) for e in log] == [
        ("connect", "U1 (alice)"),
        ("disconnect", "U9 (carol)"),
    ]
    assert await store.get_workspace("slack:TA") is not None  # the workspace itself stays


async def test_checks_record_success_or_the_error(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    later = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    await store.record_check("slack:TA", at=later + timedelta(hours=1), error="Venice said 401.")
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert (info.last_verified_at, info.last_error) == (VERIFIED, "Venice said 401.")
    await store.record_check("slack:TA", at=later, error=None)
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert (info.last_verified_at, info.last_error) == (later, None)
    await store.record_check("slack:TNONE", at=later, error=None)  # nothing to note: no error


async def test_an_answer_from_the_cache_never_moves_the_check_backwards(store: WorkspaceStore):
    await save(store, "slack:TA", KEY_A)
    newest = VERIFIED + timedelta(minutes=10)
    await store.record_check("slack:TA", at=newest, error=None)
    await store.record_check("slack:TA", at=VERIFIED + timedelta(minutes=5), error=None)
    info = await store.credential_info("slack:TA")
    assert info is not None
    assert info.last_verified_at == newest
    assert await store.credential_info("slack:TNONE") is None


async def test_workspace_ids_are_normalised_everywhere(store: WorkspaceStore):
    await save(store, "Slack:TA", KEY_A)
    loaded = await store.load_key("slack:TA")
    assert loaded is not None
    assert loaded.get_secret_value() == KEY_A
    assert await store.remove_credential("SLACK:TA", by="x")
