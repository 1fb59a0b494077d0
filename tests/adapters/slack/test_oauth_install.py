"""OAuth install end to end over real HTTP, on SQLite and PostgreSQL: /slack/install, Slack's
redirect back with a code, oauth.v2.access at the fake Web API, the installation stored sealed,
and a later request from that team authorized with the opened token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from adapters.slack.oauth import DatabaseOAuthStateStore
from adapters.slack.tables import slack_bots, slack_installations, slack_oauth_states
from tests.adapters.slack.installs import (
    BASIC_AUTH_DEPRECATED,
    CLIENT_ID,
    Installed,
    running_install,
)

pytestmark = BASIC_AUTH_DEPRECATED


@pytest.fixture(params=["sqlite", "postgresql"])
async def installed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Installed]:
    async with running_install(request.param, tmp_path, request) as running:
        yield running


async def test_install_redirects_to_slack_with_the_scopes_and_a_state_cookie(installed: Installed):
    response = await installed.http.get(installed.url + "/slack/install")

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.netloc, location.path) == ("slack.com", "/oauth/v2/authorize")
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [
        "commands,chat:write,chat:write.public,files:write,users:read,"
        "channels:history,groups:history,channels:join"
    ]
    assert query["redirect_uri"] == ["https://bot.example.test/slack/oauth_redirect"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"slack-app-oauth-state={query['state'][0]};")
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    async with installed.database.engine.connect() as connection:
        states = (await connection.scalars(select(slack_oauth_states.c.state))).all()
    assert states == query["state"]  # in the database: any process can take the redirect


async def test_an_install_is_stored_sealed_and_authorizes_the_team(installed: Installed):
    finished = await installed.install("T1")

    assert finished.status_code == 200, finished.text
    (access,) = installed.slack.calls_to("oauth.v2.access")
    assert access.params["code"] == "code-T1"
    token = installed.tokens["T1"]
    # No column of any Slack row holds the token, or any part of it, in plain text.
    async with installed.database.engine.connect() as connection:
        rows = [
            *(await connection.execute(select(slack_installations))).mappings(),
            *(await connection.execute(select(slack_bots))).mappings(),
        ]
    assert len(rows) == 2
    for row in rows:
        assert row["team_id"] == "T1"
        assert str(row["bot_token"]).startswith("enc:v1:")
        assert all(token[5:] not in str(value) for value in row.values())

    # A later signed command from T1 is authorized with the opened token (Bolt checks it with
    # auth.test), and answered.
    installed.slack.clear()
    answered, _ = await installed.command("T1", "help")
    assert answered.status_code == 200
    assert answered.json()["blocks"]
    assert [call.token for call in installed.slack.calls_to("auth.test")] == [token]
    assert "reinstall" not in answered.text


async def test_a_team_that_never_installed_is_told_to_install(installed: Installed):
    await installed.install("T1")

    installed.slack.clear()
    answered, response_id = await installed.command("T9", "help")

    assert answered.status_code == 200
    (told,) = installed.slack.responses(response_id)
    assert "reinstall" in told.params["text"]
    assert installed.slack.calls_to("auth.test") == []


async def test_a_state_works_once_and_only_with_its_cookie(installed: Installed):
    state, cookie = await installed.start()
    redirect = installed.url + "/slack/oauth_redirect"
    params = {"code": "code-T1", "state": state}

    without_cookie = await installed.http.get(redirect, params=params)
    first = await installed.http.get(redirect, params=params, headers=cookie)
    replayed = await installed.http.get(redirect, params=params, headers=cookie)

    assert without_cookie.status_code == 400
    assert first.status_code == 200
    assert replayed.status_code == 401
    assert len(installed.slack.calls_to("oauth.v2.access")) == 1


async def test_an_expired_state_is_refused(installed: Installed):
    store = DatabaseOAuthStateStore(expiration_seconds=600, engine=installed.database.engine)
    state = await store.async_issue()
    assert await store.async_consume(state)
    assert not await store.async_consume(state)

    expired = DatabaseOAuthStateStore(expiration_seconds=-1, engine=installed.database.engine)
    assert not await expired.async_consume(await expired.async_issue())
