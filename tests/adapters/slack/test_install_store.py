"""The sealed installation store on a real database: tokens sealed per team and per column,
a moved ciphertext refused, tokens masked in logs once loaded, and `keys rotate` re-sealing them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import select, update

from adapters.cli.keys import rotate_every_secret
from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.sealed_tokens import open_text, sealed_key_id
from adapters.slack.tables import slack_bots, slack_installations
from bot.errors import StoreUnavailable
from bot.logs import redact
from bot.secrets import Keyring, SecretBox, SecretUnreadable
from bot.store import Database
from tests.adapters.slack.installs import (
    CLIENT_ID,
    K1,
    K2,
    bot_token,
    migrated_database,
    opened_store,
    refresh_token,
)
from tests.services import PrivatePostgres


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated_database(request.param, tmp_path, request) as database:
        yield database


def store_over(database: Database, *keys: object) -> EncryptedInstallationStore:
    keyring = Keyring(tuple(keys) or (K1,))  # type: ignore[arg-type]
    return EncryptedInstallationStore.on_engine(CLIENT_ID, database.engine, SecretBox(keyring))


def installation(team: str, *, token: str, refresh: str | None = None) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=None,
        team_id=team,
        team_name=f"Team {team}",
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=refresh,
        bot_token_expires_in=43_200 if refresh else None,
        user_id="U1",
        incoming_webhook_url="https://hooks.example.test/" + "services-" + team,
        is_enterprise_install=False,
    )


async def test_every_token_is_sealed_to_its_team_and_column(database: Database):
    store = store_over(database)
    token, refresh = bot_token("T1"), refresh_token("T1")
    await store.async_save(installation("T1", token=token, refresh=refresh))

    async with database.engine.connect() as connection:
        row = (await connection.execute(select(slack_installations))).mappings().one()
    for column, plain in (
        ("bot_token", token),
        ("bot_refresh_token", refresh),
        ("incoming_webhook_url", "https://hooks.example.test/services-T1"),
    ):
        assert row[column].startswith("enc:v1:")
        assert plain not in row[column]
        box = SecretBox(Keyring((K1,)))
        assert open_text(box, row[column], owner="slack:T1", purpose=column) == plain
        with pytest.raises(SecretUnreadable):
            open_text(box, row[column], owner="slack:T2", purpose=column)
    with pytest.raises(SecretUnreadable):
        open_text(box, row["bot_refresh_token"], owner="slack:T1", purpose="bot_token")

    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (token, refresh)
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == token
    # Once loaded, a token is masked in every log line.
    assert token not in redact(f"token={token} refresh={refresh}")
    assert refresh not in redact(f"refresh={refresh}")


async def test_a_ciphertext_copied_to_another_team_does_not_open(database: Database):
    store = store_over(database)
    await store.async_save(installation("T1", token=bot_token("T1")))
    await store.async_save(installation("T2", token=bot_token("T2")))

    for table in (slack_installations, slack_bots):
        async with database.transaction() as connection:
            t1_token = (
                await connection.execute(select(table.c.bot_token).where(table.c.team_id == "T1"))
            ).scalar_one()
            await connection.execute(
                update(table).where(table.c.team_id == "T2").values(bot_token=t1_token)
            )

    assert await store.async_find_installation(enterprise_id=None, team_id="T2") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
    still = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert still is not None
    assert still.bot_token.startswith("xoxb-T1-")


async def test_a_refresh_token_moved_into_the_bot_token_column_does_not_open(database: Database):
    store = store_over(database)
    await store.async_save(installation("T1", token=bot_token("T1"), refresh=refresh_token("T1")))
    table = slack_bots
    async with database.transaction() as connection:
        await connection.execute(update(table).values(bot_token=table.c.bot_refresh_token))

    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None


async def test_a_plaintext_token_in_the_database_is_never_used(database: Database):
    store = store_over(database)
    await store.async_save(installation("T1", token=bot_token("T1")))
    async with database.transaction() as connection:
        await connection.execute(update(slack_bots).values(bot_token="xoxb-" + "planted-1234"))

    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None


async def test_keys_rotate_reseals_slack_tokens_too(database: Database):
    token, refresh = bot_token("T1"), refresh_token("T1")
    await store_over(database, K1).async_save(installation("T1", token=token, refresh=refresh))

    report = await rotate_every_secret(opened_store(database, K2, K1), by="ops")
    again = await rotate_every_secret(opened_store(database, K2, K1), by="ops")

    assert (report.re_encrypted, report.already_current, report.unreadable) == (2, 0, ())
    assert (again.re_encrypted, again.already_current) == (0, 2)
    async with database.engine.connect() as connection:
        rows = [
            *(await connection.execute(select(slack_installations))).mappings(),
            *(await connection.execute(select(slack_bots))).mappings(),
        ]
    assert {sealed_key_id(row["bot_token"]) for row in rows} == {"K2"}
    assert {sealed_key_id(row["bot_refresh_token"]) for row in rows} == {"K2"}
    only_k2 = store_over(database, K2)  # the old master key can go
    found = await only_k2.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (token, refresh)
    assert await store_over(database, K1).async_find_bot(enterprise_id=None, team_id="T1") is None
    audit = await opened_store(database).store.audit_log("slack:T1")
    assert [(entry.action, entry.actor) for entry in audit] == [("rotate", "ops")] * 2


async def test_installations_read_before_the_database_stops_are_still_found(
    private_postgres: PrivatePostgres,
):
    database = await Database.open(private_postgres.url)
    try:
        await database.upgrade()
        store = store_over(database)
        token = bot_token("T0UP")
        await store.async_save(installation("T0UP", token=token))
        await store.async_save(installation("T0NEVER", token=bot_token("T0NEVER")))
        found = await store.async_find_installation(enterprise_id=None, team_id="T0UP")
        assert found is not None
        private_postgres.stop()
        again = await store.async_find_installation(enterprise_id=None, team_id="T0UP")
        assert again is not None
        assert again.bot_token == token
        with pytest.raises(StoreUnavailable):
            await store.async_find_installation(enterprise_id=None, team_id="T0NEVER")
    finally:
        await database.aclose()
