"""/healthz and /readyz of `venice-bot serve`: ready while the database and the cache answer,
only "degraded" (still 200) when either does not, since the bot still answers commands without
them, and 503 only before the store is open."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from adapters.http_app import build_http_app
from bot.runtime import Runtime
from bot.secrets import Keyring, SecretBox, generate_master_key
from bot.settings import Settings
from bot.startup import OpenedStore
from bot.store import Database, WorkspaceStore
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import ServedBot, bot_settings
from tests.services import PrivateRedis
from venice_simulator.server import RunningSimulator


def test_healthz_and_readyz_answer_200(served: ServedBot):
    assert httpx.get(f"{served.url}/healthz").status_code == 200
    response = httpx.get(f"{served.url}/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["database"] == {"state": "ok"}
    assert body["cache"] == {"backend": "memory", "state": "ok"}
    assert body["digests"] == {"state": "on"}


def test_redis_down_is_degraded_not_unready(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack, private_redis: PrivateRedis
):
    settings = bot_settings(tmp_path, sim.base_url, fake_slack, REDIS_URL=private_redis.url)
    bot = ServedBot(settings, fake_slack).start()
    try:
        assert httpx.get(f"{bot.url}/readyz").json()["cache"] == {"backend": "redis", "state": "ok"}
        private_redis.stop()
        response = httpx.get(f"{bot.url}/readyz")
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert response.json()["cache"]["state"] == "degraded"
        assert private_redis.url not in response.text
    finally:
        bot.stop()


class CuttableProxy:
    """A TCP proxy to a server that the test can cut, as a network partition would."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


@contextlib.asynccontextmanager
async def http_app_on(runtime: Runtime) -> AsyncIterator[str]:
    """build_http_app(RUNTIME) served by uvicorn in this event loop; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(build_http_app(runtime), lifespan="off", log_config=None, access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_readyz_is_degraded_not_unready_when_the_database_stops_answering(
    postgres_url: str,
):
    parts = urlsplit(postgres_url)
    proxy = CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    port = await proxy.start()
    proxied = postgres_url.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")
    key = generate_master_key("k1")
    runtime = Runtime.build(Settings(VENICE_BOT_MASTER_KEYS=key.encoded()))
    database = await Database.open(proxied)  # `SELECT 1` only: no schema is touched
    keyring = Keyring((key,))
    runtime.opened = OpenedStore(database, WorkspaceStore(database, SecretBox(keyring)), keyring)
    try:
        async with http_app_on(runtime) as url, httpx.AsyncClient() as client:
            assert (await client.get(f"{url}/readyz")).status_code == 200
            await proxy.cut()
            response = await client.get(f"{url}/readyz")
            # Still answering commands (from the last reads): stays in the load balancer.
            assert response.status_code == 200
            assert response.json()["status"] == "degraded"
            assert response.json()["database"] == {"state": "unreachable"}
            assert response.json()["digests"] == {"state": "paused"}
            assert "venice_bot_database_reachable 0.0" in (await client.get(f"{url}/metrics")).text
            assert (await client.get(f"{url}/healthz")).status_code == 200
    finally:
        await runtime.aclose()


async def test_readyz_is_503_before_the_store_is_open():
    runtime = Runtime.build(Settings(DIGEST_SCHEDULER="off"))
    try:
        async with http_app_on(runtime) as url, httpx.AsyncClient() as client:
            response = await client.get(f"{url}/readyz")
            assert response.status_code == 503
            assert response.json()["status"] == "unready"
            assert response.json()["digests"] == {"state": "off"}
    finally:
        await runtime.aclose()


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_stop_ends_serve_cleanly(served: ServedBot):
    assert served.stop() == 0
