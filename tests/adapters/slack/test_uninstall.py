"""Uninstall and token revocation, as signed events to the running app: the team's tokens and
Venice key are gone, other teams keep theirs, and a repeated event changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from adapters.slack.tables import slack_bots, slack_installations
from bot.schedule import DigestTime
from bot.store.digests import DigestStore
from tests.adapters.slack.installs import BASIC_AUTH_DEPRECATED, Installed, running_install

pytestmark = BASIC_AUTH_DEPRECATED

VENICE_KEYS = {team: "sim-admin-team-" + f"uninstall{team}0123" for team in ("T1", "T2")}


@pytest.fixture(params=["sqlite", "postgresql"])
async def installed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Installed]:
    async with running_install(request.param, tmp_path, request) as running:
        for team, key in VENICE_KEYS.items():
            assert (await running.install(team)).status_code == 200
            await running.opened.store.save_credential(
                f"slack:{team}",
                SecretStr(key),
                key_type="admin",
                set_by="U1",
                verified_at=datetime.now(UTC),
            )
            await DigestStore(running.database).upsert(
                f"slack:{team}", "C0COSTS", DigestTime(time(9), "Europe/Madrid"),
                skip_empty=False, by="U1", by_id="U1", now=datetime.now(UTC),
            )  # fmt: skip
        yield running


async def rows_of(installed: Installed, team: str) -> int:
    count = 0
    async with installed.database.engine.connect() as connection:
        for table in (slack_installations, slack_bots):
            query = select(func.count()).select_from(table).where(table.c.team_id == team)
            count += (await connection.execute(query)).scalar_one()
    return count


async def assert_forgotten(installed: Installed, team: str, by: str) -> None:
    store = installed.opened.store
    # Bolt acknowledges an event first and runs its listener after: give it a moment.
    for _ in range(200):
        if await rows_of(installed, team) == 0 and await store.load_key(f"slack:{team}") is None:
            break
        await asyncio.sleep(0.02)
    assert await rows_of(installed, team) == 0
    assert await store.load_key(f"slack:{team}") is None
    installation_store = installed.app.installation_store
    assert installation_store is not None
    assert await installation_store.async_find_bot(enterprise_id=None, team_id=team) is None
    audit = await store.audit_log(f"slack:{team}")
    assert [(entry.action, entry.actor) for entry in audit][-1] == ("disconnect", by)


async def assert_untouched(installed: Installed, team: str) -> None:
    assert await rows_of(installed, team) == 2
    key = await installed.opened.store.load_key(f"slack:{team}")
    assert key is not None
    assert key.get_secret_value() == VENICE_KEYS[team]
    installation_store = installed.app.installation_store
    assert installation_store is not None
    bot = await installation_store.async_find_bot(enterprise_id=None, team_id=team)
    assert bot is not None
    assert bot.bot_token == installed.tokens[team]


async def test_app_uninstalled_removes_the_teams_tokens_and_venice_key(installed: Installed):
    response = await installed.event("T1", {"type": "app_uninstalled"})

    assert response.status_code == 200
    await assert_forgotten(installed, "T1", "slack:app_uninstalled")
    await assert_untouched(installed, "T2")
    # The team's digest schedules go with it; the other team keeps its own.
    digests = DigestStore(installed.database)
    assert await digests.list_schedules("slack:T1") == []
    assert [s.channel_id for s in await digests.list_schedules("slack:T2")] == ["C0COSTS"]
    # Slack retries events: a second delivery finds nothing left and still succeeds.
    again = await installed.event("T1", {"type": "app_uninstalled"})
    assert again.status_code == 200
    await asyncio.sleep(0.3)  # the listener runs after the acknowledgement
    await assert_forgotten(installed, "T1", "slack:app_uninstalled")
    audit = await installed.opened.store.audit_log("slack:T1")
    assert [entry.action for entry in audit].count("disconnect") == 1
    # T1 can no longer use the bot; T2 still can.
    answered, response_id = await installed.command("T1")
    assert "reinstall" in installed.slack.responses(response_id)[0].params["text"]
    answered, _ = await installed.command("T2")
    assert answered.json()["blocks"]


async def test_a_revoked_bot_token_removes_the_team_like_an_uninstall(installed: Installed):
    revoked: dict[str, Any] = {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}

    response = await installed.event("T2", revoked)

    assert response.status_code == 200
    await assert_forgotten(installed, "T2", "slack:tokens_revoked")
    await assert_untouched(installed, "T1")


async def test_a_revoked_user_token_removes_only_that_users_installation(installed: Installed):
    revoked: dict[str, Any] = {"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}}

    response = await installed.event("T1", revoked)

    assert response.status_code == 200
    table = slack_installations
    for _ in range(200):
        async with installed.database.engine.connect() as connection:
            query = select(table.c.team_id).order_by(table.c.team_id)
            left = (await connection.execute(query)).scalars().all()
        if left == ["T2"]:
            break
        await asyncio.sleep(0.02)
    assert left == ["T2"]
    # The bot itself was not revoked: T1 keeps its bot token and Venice key.
    assert await installed.opened.store.load_key("slack:T1") is not None
    answered, _ = await installed.command("T1")
    assert answered.json()["blocks"]
