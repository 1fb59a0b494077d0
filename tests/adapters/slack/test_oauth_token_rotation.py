"""Token rotation through the fake Web API: a refresh (oauth.v2.access, grant_type
refresh_token) replaces the stored, sealed tokens; concurrent refreshes of one team call Slack
once, in one process and across processes (Redis lock); Bolt's own refresh on a request goes to
SLACK_API_URL too."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.oauth import BOT_SCOPES, installation_store, token_rotator
from adapters.slack.tables import slack_bots, slack_installations
from adapters.slack.token_rotation import LocalTeamLocks, RedisTeamLocks, refresh_bot_token
from tests.adapters.slack.fake_slack import Call
from tests.adapters.slack.installs import (
    BASIC_AUTH_DEPRECATED,
    Installed,
    bot_token,
    installed_answer,
    multi_workspace_settings,
    refresh_token,
    running_install,
)

pytestmark = BASIC_AUTH_DEPRECATED

# Slack's refresh takes a moment: long enough that concurrent callers overlap.
REFRESH_SECONDS = 0.3


class RotatingSlack:
    """oauth.v2.access as Slack answers it with token rotation on: an install hands out a bot
    token that expires in a minute and a refresh token; a refresh token works once."""

    def __init__(self, installed: Installed) -> None:
        self.installed = installed
        self.refresh_tokens: dict[str, str] = {}  # team -> the refresh token that works
        self.refreshes = 0
        installed.slack.on("oauth.v2.access", self.access)

    def access(self, call: Call) -> Any:
        tokens = self.installed.tokens
        if call.params.get("grant_type") == "refresh_token":
            time.sleep(REFRESH_SECONDS)  # the fake serves each call in a thread of its own
            self.refreshes += 1
            used = call.params.get("refresh_token")
            team = next((t for t, r in self.refresh_tokens.items() if r == used), None)
            if team is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            n = self.refreshes + 1
            tokens[team], self.refresh_tokens[team] = bot_token(team, n), refresh_token(team, n)
            return {
                "ok": True,
                "token_type": "bot",
                "access_token": tokens[team],
                "refresh_token": self.refresh_tokens[team],
                "expires_in": 43_200,
                "scope": ",".join(BOT_SCOPES),
            }
        team = str(call.params["code"]).removeprefix("code-")
        tokens[team], self.refresh_tokens[team] = bot_token(team), refresh_token(team)
        return installed_answer(
            team,
            tokens[team],
            refresh_token=self.refresh_tokens[team],
            expires_in=60,  # within the 120 minutes before expiry that trigger a refresh
        )


@pytest.fixture(params=["sqlite", "postgresql"])
async def installed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Installed]:
    async with running_install(request.param, tmp_path, request) as running:
        yield running


def a_store(installed: Installed) -> EncryptedInstallationStore:
    """A store of its own, as another process would have."""
    return installation_store(multi_workspace_settings(installed.slack.api_url), installed.opened)


async def stored_rows(installed: Installed) -> list[dict[str, Any]]:
    async with installed.database.engine.connect() as connection:
        return [
            dict(row)
            for table in (slack_installations, slack_bots)
            for row in (await connection.execute(select(table))).mappings()
        ]


async def test_a_refresh_replaces_the_stored_sealed_tokens(installed: Installed):
    slack = RotatingSlack(installed)
    await installed.install("T1")
    first_token, first_refresh = installed.tokens["T1"], slack.refresh_tokens["T1"]
    store = a_store(installed)
    rotator = token_rotator(multi_workspace_settings(installed.slack.api_url), store)

    token = await refresh_bot_token(store, rotator, team_id="T1")

    (refresh,) = [
        call.params
        for call in installed.slack.calls_to("oauth.v2.access")
        if call.params.get("grant_type") == "refresh_token"
    ]
    assert refresh["refresh_token"] == first_refresh
    assert token == installed.tokens["T1"] != first_token
    rows = await stored_rows(installed)
    assert len(rows) == 2  # the installation and its bot, both brought up to date
    for row in rows:
        assert row["bot_token"].startswith("enc:v1:")
        assert row["bot_refresh_token"].startswith("enc:v1:")
        assert all(token[5:] not in str(value) for value in row.values())
        assert all(slack.refresh_tokens["T1"][5:] not in str(value) for value in row.values())
        assert row["bot_token_expires_at"].timestamp() > time.time() + 11 * 3600
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (token, slack.refresh_tokens["T1"])
    # Fresh now: asking again calls Slack no more.
    assert await refresh_bot_token(store, rotator, team_id="T1") == token
    assert slack.refreshes == 1


async def test_concurrent_refreshes_in_one_process_call_slack_once(installed: Installed):
    slack = RotatingSlack(installed)
    await installed.install("T1")
    settings = multi_workspace_settings(installed.slack.api_url)
    # Two callers with stores and rotators of their own (the scheduler and a request, say).
    stores = [a_store(installed) for _ in range(2)]
    callers = [(store, token_rotator(settings, store)) for store in stores]

    tokens = await asyncio.gather(
        *(refresh_bot_token(store, rotator, team_id="T1") for store, rotator in callers)
    )

    assert slack.refreshes == 1
    assert tokens == [installed.tokens["T1"]] * 2


async def test_concurrent_refreshes_in_two_processes_call_slack_once(
    installed: Installed, redis_url: str
):
    slack = RotatingSlack(installed)
    await installed.install("T1")
    settings = multi_workspace_settings(installed.slack.api_url)
    prefix = f"test:{secrets.token_hex(4)}:rotation:"
    callers = []
    for _ in range(2):  # each "process" has its own store, rotator and local locks
        store = a_store(installed)
        rotator = token_rotator(settings, store)
        rotator.locks = RedisTeamLocks(redis_url, prefix=prefix, local=LocalTeamLocks())
        callers.append((store, rotator))

    tokens = await asyncio.gather(
        *(refresh_bot_token(store, rotator, team_id="T1") for store, rotator in callers)
    )

    assert slack.refreshes == 1
    assert tokens == [installed.tokens["T1"]] * 2


async def test_bolt_refreshes_an_expiring_token_at_slack_api_url(installed: Installed):
    slack = RotatingSlack(installed)
    await installed.install("T1")
    installed.slack.clear()

    answered, _ = await installed.command("T1", "help")

    assert answered.status_code == 200
    assert answered.json()["blocks"]
    assert slack.refreshes == 1
    # The request went on with the new token, and the new token is what is stored.
    assert [call.token for call in installed.slack.calls_to("auth.test")] == [
        installed.tokens["T1"]
    ]
    bot = await a_store(installed).async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.bot_token == installed.tokens["T1"]
