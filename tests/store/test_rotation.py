"""`keys rotate`: every key re-sealed under the newest master key; safe to interrupt and re-run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.secrets import MasterKeyMissing
from bot.store import Database, WorkspaceStore
from tests.store.conftest import K1, K2, store_with

KEYS = {f"slack:T{n}": "VENICE_ADMIN_KEY_" + f"rotation{n}0123456789" for n in (1, 2, 3)}


async def store_three_keys(store: WorkspaceStore) -> None:
    for workspace, key in KEYS.items():
        await store.save_credential(
            workspace, SecretStr(key), key_type="admin", set_by="U1", verified_at=datetime.now(UTC)
        )


async def assert_all_load(store: WorkspaceStore) -> None:
    for workspace, key in KEYS.items():
        loaded = await store.load_key(workspace)
        assert loaded is not None
        assert loaded.get_secret_value() == key


async def test_rotation_moves_every_key_to_the_newest_master_key(
    database: Database, store: WorkspaceStore
):
    await store_three_keys(store)

    report = await store_with(database, K2, K1).rotate_secrets(by="ops")

    assert (report.re_encrypted, report.already_current, report.unreadable) == (3, 0, ())
    for workspace in KEYS:
        info = await store.credential_info(workspace)
        assert info is not None
        assert info.key_id == "K2"
        assert [(e.action, e.actor) for e in await store.audit_log(workspace)][-1] == (
            "rotate",
            "ops",
        )
    await assert_all_load(store_with(database, K2))  # the old master key can go
    only_k1 = store_with(database, K1)
    assert await only_k1.missing_master_keys() == {"K2"}
    with pytest.raises(MasterKeyMissing, match="'K2'"):
        await only_k1.load_key("slack:T1")


async def test_a_second_rotation_has_nothing_to_do(database: Database, store: WorkspaceStore):
    await store_three_keys(store)
    rotating = store_with(database, K2, K1)
    await rotating.rotate_secrets()
    again = await rotating.rotate_secrets()
    assert (again.re_encrypted, again.already_current, again.unreadable) == (0, 3, ())
    assert [e.action for e in await store.audit_log("slack:T1")] == ["connect", "rotate"]


async def test_an_interrupted_rotation_finishes_when_run_again(
    database: Database, store: WorkspaceStore
):
    await store_three_keys(store)
    # The database itself refuses to update the second row: the run stops there.
    async with database.transaction() as connection:
        for statement in FAIL_SECOND_ROW[database.dialect]:
            await connection.execute(text(statement))
    rotating = store_with(database, K2, K1)
    with pytest.raises(DBAPIError, match="interrupted") as caught:
        await rotating.rotate_secrets()
    assert "parameters hidden" in str(caught.value)  # ciphertexts never reach a message
    key_ids = [(await store.credential_info(w)).key_id for w in KEYS]  # type: ignore[union-attr]
    assert key_ids == ["K2", "K1", "K1"]  # the first row's transaction was committed
    await assert_all_load(rotating)

    async with database.transaction() as connection:
        await connection.execute(text("DROP TRIGGER fail_rotation" + DROP_ON[database.dialect]))
    report = await rotating.rotate_secrets()

    assert (report.re_encrypted, report.already_current) == (2, 1)
    await assert_all_load(store_with(database, K2))


async def test_a_row_rotated_by_hand_counts_as_current(database: Database, store: WorkspaceStore):
    await store_three_keys(store)
    rotating = store_with(database, K2, K1)
    await rotating.save_credential(
        "slack:T2", SecretStr(KEYS["slack:T2"]), key_type="admin", set_by="U1",
        verified_at=datetime.now(UTC),
    )  # fmt: skip
    report = await rotating.rotate_secrets()
    assert (report.re_encrypted, report.already_current) == (2, 1)


async def test_an_unreadable_row_is_reported_and_the_rest_rotated(
    database: Database, store: WorkspaceStore
):
    await store_three_keys(store)
    async with database.transaction() as connection:
        await connection.execute(
            text(
                "UPDATE venice_credentials SET ciphertext = (SELECT ciphertext FROM "
                "venice_credentials WHERE workspace_id = 'slack:T1') "
                "WHERE workspace_id = 'slack:T3'"
            )
        )
    report = await store_with(database, K2, K1).rotate_secrets()
    assert (report.re_encrypted, report.already_current, report.unreadable) == (2, 0, ("slack:T3",))


FAIL_SECOND_ROW = {
    "sqlite": [
        "CREATE TRIGGER fail_rotation BEFORE UPDATE ON venice_credentials "
        "WHEN OLD.workspace_id = 'slack:T2' BEGIN SELECT RAISE(ABORT, 'interrupted'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION fail_rotation() RETURNS trigger LANGUAGE plpgsql AS "
        "'BEGIN RAISE EXCEPTION ''interrupted''; END'",
        "CREATE TRIGGER fail_rotation BEFORE UPDATE ON venice_credentials FOR EACH ROW "
        "WHEN (OLD.workspace_id = 'slack:T2') EXECUTE FUNCTION fail_rotation()",
    ],
}
DROP_ON = {"sqlite": "", "postgresql": " ON venice_credentials"}
