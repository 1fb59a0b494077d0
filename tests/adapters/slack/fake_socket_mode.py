"""A local fake of Slack's Socket Mode WebSocket: says hello, sends envelopes, collects acks.

Tests point the fake Web API's `apps.connections.open` at its `url`."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from typing import Any

from aiohttp import WSMsgType, web


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
