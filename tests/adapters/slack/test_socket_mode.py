"""Socket Mode (SLACK_APP_TOKEN, for development): the bot opens Slack's WebSocket (a local
fake here, reached through apps.connections.open at the fake Web API) and acknowledges each
envelope over it; HTTP then serves the health routes but no unsigned Slack route."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web

from bot.venice.simulator.server import RunningSimulator
from tests.adapters.slack.fake_slack import TEAM_ID, Call, FakeSlack
from tests.adapters.slack.served import ADMIN, ServedBot, admin_key, bot_settings, seed_key

APP_TOKEN = "xapp-" + "1-" + "A0VENICE-" + "0" * 12


class FakeSocketModeServer:
    """Slack's Socket Mode WebSocket: says hello, sends envelopes, collects the acks."""

    def __init__(self) -> None:
        self.acks: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._ws: web.WebSocketResponse | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> FakeSocketModeServer:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"ws://127.0.0.1:{port}/link"

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0VENICE"}})  # fmt: skip
        self.connected.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                self.acks.put(json.loads(message.data))
        return ws

    def send(self, envelope: dict[str, Any]) -> None:
        assert self._ws is not None
        asyncio.run_coroutine_threadsafe(self._ws.send_json(envelope), self._loop).result(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_socket_mode_answers_over_the_websocket(
    tmp_path: Path,
    sim: RunningSimulator,
    fake_slack: FakeSlack,
    socket_server: FakeSocketModeServer,
):
    fake_slack.admins.add(ADMIN)
    fake_slack.on("apps.connections.open", lambda call: {"ok": True, "url": socket_server.url})
    settings = bot_settings(
        tmp_path, sim.base_url, fake_slack, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=""
    )
    seed_key(settings, admin_key())
    bot = ServedBot(settings, fake_slack).start()
    try:
        assert socket_server.connected.wait(10)
        [opened] = fake_slack.calls_to("apps.connections.open")
        assert isinstance(opened, Call)
        assert opened.token == APP_TOKEN
        socket_server.send(
            {
                "envelope_id": "E1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/venice",
                    "text": "balance",
                    "team_id": TEAM_ID,
                    "user_id": ADMIN,
                    "user_name": "ada",
                    "channel_id": "C1",
                    "response_url": fake_slack.response_url("R1"),
                    "trigger_id": "t.1",
                    "api_app_id": "A0VENICE",
                },
            }
        )
        ack = socket_server.acks.get(timeout=10)
        assert ack["envelope_id"] == "E1"
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "DIEM left today" in ack["payload"]["text"]
        assert httpx.get(f"{bot.url}/healthz").status_code == 200
        # No signing secret in Socket Mode, so no Slack route over HTTP at all.
        assert httpx.post(f"{bot.url}/slack/events", content=b"{}").status_code == 404
    finally:
        assert bot.stop() == 0
