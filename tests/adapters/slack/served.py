"""`venice-bot serve`'s Service run in a thread over real HTTP, and signed Slack requests to it.

The Service is the production one (adapters/serve.py): uvicorn, Starlette, the Bolt AsyncApp,
one Runtime, the store on a SQLite file, Slack's Web API at the fake, Venice at the simulator.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from adapters.serve import Service, bind
from bot.runtime import Runtime
from bot.secrets import generate_master_key
from bot.settings import Settings
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack

# Built from parts: nothing here looks like a real credential.
SIGNING_SECRET = "signing-" + "secret-" + secrets.token_hex(8)
BOT_TOKEN = "xoxb-" + "1234-" + "5678-" + secrets.token_hex(6)
MASTER_KEYS = generate_master_key("k1").encoded()
ADMIN = "UADMIN"
MEMBER = "UMEMBER"
CHANNEL = "C0GENERAL"


def admin_key() -> str:
    """A simulator ADMIN key of the team account (see venice_simulator/accounts.py)."""
    return "sim-admin-team-" + secrets.token_hex(6)


def inference_key() -> str:
    """A simulator INFERENCE key: Venice refuses it for billing."""
    return "sim-inference-" + secrets.token_hex(6)


def bot_settings(tmp_path: Path, venice: str, fake: FakeSlack, **extra: Any) -> Settings:
    """Single-workspace settings: SQLite in TMP_PATH, Venice at VENICE, Slack at FAKE."""
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "VENICE_BOT_MASTER_KEYS": MASTER_KEYS,
        "VENICE_API_BASE": venice,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake.api_url,
        "VENICE_BOT_HOST": "127.0.0.1",
    }
    values.update(extra)
    return Settings(**values)


def seed_key(settings: Settings, key: str, team: str = TEAM_ID) -> None:
    """Store KEY for slack:TEAM as `venice-bot keys set` would (before the bot starts)."""

    async def store() -> None:
        runtime = Runtime.build(settings)
        try:
            opened = await runtime.open_store()
            await opened.store.save_credential(
                f"slack:{team}",
                SecretStr(key),
                key_type="admin",
                set_by="test",
                verified_at=datetime.now(UTC),
            )
        finally:
            await runtime.aclose()

    asyncio.run(store())


class SlackRequests:
    """Signed requests to a served bot's /slack/events at `url`, as Slack sends them; replies
    that go through a response_url land on `fake`. Mixed into ServedBot (a thread) and
    ServeProcess (a real `venice-bot serve` process)."""

    url: str
    fake: FakeSlack

    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        signature: str | None = None,
        timeout: float = 30,
    ) -> httpx.Response:
        """POST BODY to /slack/events, signed with SECRET as Slack signs it."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body),
        }
        return httpx.post(
            f"{self.url}/slack/events", content=body.encode(), headers=headers, timeout=timeout
        )

    def command(
        self,
        text: str,
        *,
        user: str = ADMIN,
        team: str = TEAM_ID,
        response_id: str | None = None,
        **kw: Any,
    ) -> Command:
        """`/venice TEXT` typed by USER of TEAM in #general; its response_url is at the fake."""
        rid = response_id or "R" + secrets.token_hex(4)
        form = {
            "token": "unused",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": CHANNEL,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/venice",
            "text": text,
            "api_app_id": "A0VENICE",
            "response_url": self.fake.response_url(rid),
            "trigger_id": "trigger." + secrets.token_hex(4),
        }
        started = time.monotonic()
        response = self.post(urlencode(form), **kw)
        return Command(response, time.monotonic() - started, rid, form["trigger_id"])

    def interaction(self, payload: Mapping[str, Any], **kw: Any) -> httpx.Response:
        """An interactivity payload (block_actions, view_submission) as Slack posts it."""
        return self.post(urlencode({"payload": json.dumps(payload)}), **kw)

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = ADMIN,
        response_id: str | None = None,
        message_ts: str | None = None,
        block_id: str = "venice_controls",
    ) -> str:
        """USER clicks a button on an ephemeral reply (or, given MESSAGE_TS, on the bot's visible
        message of that ts in #general); returns the response_url id."""
        rid = response_id or "R" + secrets.token_hex(4)
        container: dict[str, Any] = {"type": "message", "is_ephemeral": True, "channel_id": CHANNEL}
        if message_ts is not None:
            container = {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL,
                         "is_ephemeral": False}  # fmt: skip
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0VENICE",
            "trigger_id": "trigger." + secrets.token_hex(4),
            "container": container,
            "channel": {"id": CHANNEL, "name": "general"},
            "response_url": self.fake.response_url(rid),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        response = self.interaction(payload)
        assert response.status_code == 200, response.text
        return rid

    def submit_key(self, key: str, view: Mapping[str, Any], *, user: str = ADMIN) -> httpx.Response:
        """USER submits the connect modal VIEW (as views.open received it) with KEY typed in."""
        submitted = dict(view)
        submitted["id"] = "V0CONNECT"
        submitted["state"] = {"values": {"venice_key": {"key": {"type": "plain_text_input",
                                                                "value": key}}}}  # fmt: skip
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "name": user.lower(), "team_id": TEAM_ID},
            "api_app_id": "A0VENICE",
            "trigger_id": "trigger." + secrets.token_hex(4),
            "view": submitted,
        }
        return self.interaction(payload)

    def event(self, event: Mapping[str, Any]) -> httpx.Response:
        """An Events API callback carrying EVENT."""
        body = {
            "token": "unused",
            "team_id": TEAM_ID,
            "api_app_id": "A0VENICE",
            "event": dict(event),
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(4),
            "event_time": int(time.time()),
        }
        return self.post(json.dumps(body), content_type="application/json")


@dataclass
class ServedBot(SlackRequests):
    """The Service in a thread on a free port; `stop()` (or the fixture) shuts it down."""

    settings: Settings
    fake: FakeSlack
    service: Service = field(init=False)
    url: str = field(init=False)
    exit_code: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.service = Service(self.settings)
        self._sock = bind("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._run, name="venice-serve", daemon=True)

    def _run(self) -> None:
        self.exit_code.append(asyncio.run(self.service.main(self._sock)))

    def start(self) -> ServedBot:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.service.started.wait(0.05):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start (exit {self.exit_code})")
        return self

    def stop(self) -> int | None:
        self.service.stop()
        self._thread.join(timeout=30)
        self._sock.close()
        return self.exit_code[0] if self.exit_code else None


@dataclass
class Command:
    """The acknowledgement of one `/venice` and how long it took."""

    response: httpx.Response
    seconds: float
    response_id: str
    trigger_id: str

    @property
    def ack(self) -> dict[str, Any]:
        assert self.response.status_code == 200, self.response.text
        body: dict[str, Any] = self.response.json()
        return body


def message_text(message: Mapping[str, Any]) -> str:
    """Every text in a message or view (fallback `text`, blocks), as one string."""
    return json.dumps(
        {"text": message.get("text"), "blocks": message.get("blocks")}, ensure_ascii=False
    )


def action_ids(message: Mapping[str, Any]) -> list[str]:
    """The action ids of every element in MESSAGE's actions blocks."""
    return [
        element.get("action_id")
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


REPLY_FIELDS = ("text", "content", "description", "value", "title", "name")


def reply_texts(document: Any) -> set[str]:
    """Every text a person would read in DOCUMENT (a message, view or embed), 16+ characters."""
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key in REPLY_FIELDS and isinstance(value, str) and len(value) >= 16:
                found.add(value)
            else:
                found |= reply_texts(value)
    elif isinstance(document, list):
        for item in document:
            found |= reply_texts(item)
    return found
