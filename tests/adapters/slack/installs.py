"""Support for the multi-workspace tests: the bot's database on SQLite and PostgreSQL, and the
real serve stack (build_slack_app + build_http_app on uvicorn) in OAuth mode, in the test's own
event loop, against the shared fake Slack Web API; signed requests to it."""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from adapters.http_app import build_http_app
from adapters.slack.app import build_slack_app
from adapters.slack.oauth import BOT_SCOPES
from bot.runtime import Runtime
from bot.secrets import Keyring, MasterKey, SecretBox, generate_master_key
from bot.settings import Settings
from bot.startup import OpenedStore
from bot.store import Database, WorkspaceStore
from tests.adapters.slack.fake_slack import Call, FakeSlack
from tests.store.conftest import fresh_database

K1: MasterKey = generate_master_key("K1")
K2: MasterKey = generate_master_key("K2")
# Built from parts: nothing here looks like a real credential.
SIGNING_SECRET = "signing-" + secrets.token_hex(8)
CLIENT_ID = "1111." + "2222"
CLIENT_SECRET = "client-" + secrets.token_hex(8)

# slack-sdk 3.47 sends oauth.v2.access credentials with aiohttp's BasicAuth, deprecated in
# aiohttp 3.14: a warning of theirs, not ours (the suite turns warnings into errors).
BASIC_AUTH_DEPRECATED = pytest.mark.filterwarnings(
    "ignore:BasicAuth is deprecated:DeprecationWarning"
)


def bot_token(team: str, n: int = 1) -> str:
    """A fake bot token for TEAM."""
    return "xoxb-" + f"{team}-{n}-" + secrets.token_hex(12)


def refresh_token(team: str, n: int = 1) -> str:
    """A fake refresh token for TEAM."""
    return "xoxe-" + f"1-{team}-{n}-" + secrets.token_hex(12)


@asynccontextmanager
async def migrated_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    """A database at head: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""
    async with fresh_database(
        backend, tmp_path, request, prefix="vb_slack", filename="bot.db"
    ) as database:
        await database.upgrade()
        yield database


def opened_store(database: Database, *keys: MasterKey) -> OpenedStore:
    """An OpenedStore over DATABASE whose keyring holds KEYS (default K1), newest first."""
    keyring = Keyring(keys or (K1,))
    return OpenedStore(database, WorkspaceStore(database, SecretBox(keyring)), keyring)


def multi_workspace_settings(slack_api_url: str, **extra: Any) -> Settings:
    """Settings for multi-workspace mode against a fake Web API."""
    values: dict[str, Any] = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_API_URL": slack_api_url,
        "SLACK_REDIRECT_URI": "https://bot.example.test/slack/oauth_redirect",
        "VENICE_API_BASE": "http://127.0.0.1:9/api/v1",  # the tests ask nothing of Venice
    }
    values.update(extra)
    return Settings(**values)


@asynccontextmanager
async def serving(asgi: Any) -> AsyncIterator[str]:
    """Serve ASGI on a free port in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(
        asgi, lifespan="off", log_level="warning", access_log=False, http="h11", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


def signed_headers(body: str, *, content_type: str) -> dict[str, str]:
    """Slack's v0 signature headers for BODY, timestamped now."""
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


def installed_answer(team: str, token: str, **extra: Any) -> dict[str, Any]:
    """oauth.v2.access's answer to an install of the bot in TEAM with TOKEN, plus EXTRA."""
    return {
        "ok": True,
        "app_id": "A1",
        "authed_user": {"id": "U1"},
        "scope": ",".join(BOT_SCOPES),
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": "UBOT",
        "team": {"id": team, "name": f"Team {team}"},
        "enterprise": None,
        "is_enterprise_install": False,
        **extra,
    }


def answer_as_slack(fake: FakeSlack, tokens: dict[str, str]) -> None:
    """oauth.v2.access gives the team named by the code (`code-T1`) a fresh bot token, kept
    in TOKENS; auth.test and users.info know a token's team, and refuse unknown tokens."""

    def access(call: Call) -> dict[str, Any]:
        team = str(call.params["code"]).removeprefix("code-")
        tokens[team] = bot_token(team)
        return installed_answer(team, tokens[team])

    def team_of(call: Call) -> str | None:
        return next((team for team, token in tokens.items() if token == call.token), None)

    def auth_test(call: Call) -> dict[str, Any]:
        team = team_of(call)
        if team is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "team_id": team, "user_id": "UBOT", "bot_id": "B1", "url": "x"}

    def users_info(call: Call) -> dict[str, Any]:
        team = team_of(call)
        if team is None:
            return {"ok": False, "error": "invalid_auth"}
        user = {"id": call.params.get("user"), "team_id": team, "name": "ann"}
        return {"ok": True, "user": {**user, "is_admin": False, "is_owner": False}}

    fake.on("oauth.v2.access", access)
    fake.on("auth.test", auth_test)
    fake.on("users.info", users_info)


@dataclass
class Installed:
    """The serve stack in OAuth mode, its fake Web API, database and the tokens handed out."""

    url: str
    slack: FakeSlack
    database: Database
    opened: OpenedStore
    app: AsyncApp
    http: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    async def start(self) -> tuple[str, dict[str, str]]:
        """GET /slack/install as a browser: the state, and the cookie to send back."""
        start = await self.http.get(self.url + "/slack/install")
        assert start.status_code == 302
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        # The cookie is `Secure`: an http:// test server gets it back by hand.
        cookie = start.headers["set-cookie"].split(";")[0]
        return state, {"Cookie": cookie}

    async def install(self, team: str) -> httpx.Response:
        """Run the browser's side of the OAuth flow for TEAM; the redirect's response."""
        state, cookie = await self.start()
        return await self.http.get(
            self.url + "/slack/oauth_redirect",
            params={"code": f"code-{team}", "state": state},
            headers=cookie,
        )

    async def command(self, team: str, text: str = "help") -> tuple[httpx.Response, str]:
        """A signed `/venice TEXT` from TEAM: the acknowledgement and its response_url id."""
        response_id = "R" + secrets.token_hex(4)
        body = urlencode(
            {
                "command": "/venice",
                "text": text,
                "team_id": team,
                "team_domain": team.lower(),
                "channel_id": "C1",
                "user_id": "U1",
                "user_name": "ann",
                "response_url": self.slack.response_url(response_id),
                "trigger_id": "trigger." + secrets.token_hex(4),
                "api_app_id": "A1",
            }
        )
        headers = signed_headers(body, content_type="application/x-www-form-urlencoded")
        response = await self.http.post(self.url + "/slack/events", content=body, headers=headers)
        return response, response_id

    async def event(self, team: str, event: dict[str, Any]) -> httpx.Response:
        """A signed Events API callback from TEAM carrying EVENT."""
        body = json.dumps(
            {
                "token": "unused",
                "team_id": team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": "Ev" + secrets.token_hex(4),
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = signed_headers(body, content_type="application/json")
        return await self.http.post(self.url + "/slack/events", content=body, headers=headers)


@asynccontextmanager
async def running_install(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, **settings: Any
) -> AsyncIterator[Installed]:
    """The real serve stack in OAuth mode on BACKEND's database, against the fake Web API."""
    async with (
        migrated_database(backend, tmp_path, request) as database,
        installed_on(database, **settings) as installed,
    ):
        yield installed


@asynccontextmanager
async def installed_on(database: Database, **settings: Any) -> AsyncIterator[Installed]:
    """The real serve stack in OAuth mode on DATABASE (migrated), against a fake Web API."""
    fake = FakeSlack().start()
    try:
        opened = opened_store(database)
        config = multi_workspace_settings(fake.api_url, **settings)
        runtime = Runtime.build(config)
        runtime.opened = opened
        try:
            app = await build_slack_app(config, runtime, opened)
            async with (
                serving(build_http_app(runtime, app)) as url,
                httpx.AsyncClient(timeout=10) as http,
            ):
                installed = Installed(url, fake, database, opened, app, http)
                answer_as_slack(fake, installed.tokens)
                yield installed
        finally:
            runtime.opened = None  # the database is closed by its owner
            await runtime.aclose()
    finally:
        fake.stop()
