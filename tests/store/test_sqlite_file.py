"""The embedded SQLite database: a canary key never reaches the file, its WAL or its journal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.store import Database, DatabaseUnavailable
from tests.services import free_port
from tests.store.conftest import K1, K2, store_with

# Built from parts; long and distinctive so any copy of it on disk is found.
CANARY = "VENICE_ADMIN_KEY_" + "CANARY" + "q7Zp3Lm9Xw2Rt8Vb4Nc6"


def files_of(database_file: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in database_file.parent.glob(database_file.name + "*")}


async def test_a_canary_key_round_trips_and_never_reaches_the_disk(tmp_path: Path):
    database_file = tmp_path / "venice-bot.db"
    database = await Database.open(f"sqlite+aiosqlite:///{database_file}")
    try:
        await database.upgrade()
        store = store_with(database, K1)
        await store.save_credential(
            "slack:TC", SecretStr(CANARY), key_type="admin", set_by="U1",
            verified_at=datetime.now(UTC),
        )  # fmt: skip
        loaded = await store.load_key("slack:TC")
        assert loaded is not None
        assert loaded.get_secret_value() == CANARY
        rotated = store_with(database, K2, K1)
        assert (await rotated.rotate_secrets()).re_encrypted == 1
        loaded = await store_with(database, K2).load_key("slack:TC")
        assert loaded is not None
        assert loaded.get_secret_value() == CANARY
        written = files_of(database_file)  # while open: the WAL holds the recent writes
        audit = await store.audit_log("slack:TC")
    finally:
        await database.aclose()
    written |= {f"{name} (closed)": data for name, data in files_of(database_file).items()}

    assert "venice-bot.db-wal" in written  # WAL mode is on, and its file was inspected
    secret_part = CANARY[:-4].encode()  # the last 4 characters are the shown fingerprint
    for name, data in written.items():
        assert secret_part not in data, name
        assert CANARY.encode("utf-16-le")[:-8] not in data, name
    assert b"CANARY" not in b"".join(written.values())
    for entry in audit:
        assert CANARY[:-4] not in entry.detail


async def test_a_missing_directory_is_named(tmp_path: Path):
    missing = tmp_path / "not-here"
    with pytest.raises(DatabaseUnavailable) as caught:
        await Database.open(f"sqlite+aiosqlite:///{missing / 'bot.db'}")
    assert str(missing) in str(caught.value)
    assert "DATABASE_URL" in str(caught.value)


async def test_an_unreachable_postgresql_is_named_without_its_password():
    port = free_port()
    password = "pw-" + "do-not-show-7731"
    with pytest.raises(DatabaseUnavailable) as caught:
        await Database.open(f"postgresql+asyncpg://bot:{password}@127.0.0.1:{port}/venice")
    message = str(caught.value)
    assert f"127.0.0.1:{port}/venice" in message
    assert password not in message
    assert "DATABASE_URL" in message


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url", "sqlite:///plain-driver.db"])
async def test_an_unsupported_url_is_refused(url: str):
    with pytest.raises(DatabaseUnavailable, match="sqlite\\+aiosqlite"):
        await Database.open(url)
