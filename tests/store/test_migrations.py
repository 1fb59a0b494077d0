"""Migrations: what `venice-bot db upgrade` runs, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from adapters.slack.tables import slack_metadata
from bot.store import Database, DatabaseNotMigrated
from bot.store.tables import metadata


async def test_an_empty_database_is_pending_until_upgraded(empty_database: Database):
    assert await empty_database.pending_migrations()
    assert not await empty_database.is_current()
    with pytest.raises(DatabaseNotMigrated, match="run `venice-bot db upgrade`"):
        await empty_database.require_current()

    await empty_database.upgrade()

    assert not await empty_database.pending_migrations()
    await empty_database.require_current()


async def test_upgrading_twice_changes_nothing(database: Database):
    async with database.engine.connect() as connection:
        before = await connection.run_sync(lambda c: sorted(inspect(c).get_table_names()))
    await database.upgrade()
    async with database.engine.connect() as connection:
        after = await connection.run_sync(lambda c: sorted(inspect(c).get_table_names()))
        versions = (await connection.execute(text("SELECT version_num FROM alembic_version"))).all()
    slack = ["slack_bots", "slack_installations", "slack_oauth_states"]
    posts = ["deliveries", "digest_schedules"]
    alerts = ["alert_rule_ids", "alert_rules"]
    tables = ["alembic_version", *alerts, "audit_log", *posts, *slack, "venice_credentials",
              "workspaces"]  # fmt: skip
    assert before == after == tables
    assert len(versions) == 1


async def test_the_migrations_build_exactly_the_declared_tables(database: Database):
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # The core's tables and the Slack adapter's: migration 0002 creates Slack's.
        return list(compare_metadata(context, [metadata, slack_metadata]))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(differences) == []
