"""Multi-workspace mode while the database is down (a PostgreSQL of the test's own, stopped): a
workspace whose installation this process has read keeps being answered; one it has not is told
the database is unavailable; an event that needs the database gets 503, so Slack sends it again
later. Nothing is logged as a traceback."""

from __future__ import annotations

import logging

import pytest

from bot.error_cards import STORE_UNAVAILABLE_READING
from bot.store import Database
from tests.adapters.slack.installs import BASIC_AUTH_DEPRECATED, installed_on
from tests.services import PrivatePostgres


@BASIC_AUTH_DEPRECATED
async def test_installed_workspaces_keep_working_while_the_database_is_down(
    private_postgres: PrivatePostgres, caplog: pytest.LogCaptureFixture
):
    database = await Database.open(private_postgres.url)
    try:
        await database.upgrade()
        async with installed_on(database) as bot:
            for team in ("T0UP", "T0NEVER"):
                assert (await bot.install(team)).status_code == 200
            answered, _ = await bot.command("T0UP", "help")
            assert "balance" in answered.text
            private_postgres.stop()
            with caplog.at_level(logging.INFO):
                still, _ = await bot.command("T0UP", "help")
                never, _ = await bot.command("T0NEVER", "help")
                uninstalled = await bot.event("T0UP", {"type": "app_uninstalled"})
            assert still.status_code == 200
            assert "balance" in still.text
            assert never.status_code == 200
            assert never.json() == {"response_type": "ephemeral", "text": STORE_UNAVAILABLE_READING}
            assert uninstalled.status_code == 503  # Slack retries it once the database is back
            assert not [record for record in caplog.records if record.exc_info]
    finally:
        await database.aclose()
