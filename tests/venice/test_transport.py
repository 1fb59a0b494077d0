"""AiohttpTransport over real sockets: what callers of httpx and VeniceClient still see through it.

The simulator serves normal calls; a raw asyncio HTTP/1.1 server serves the odd ones (keep-alive
counting, Set-Cookie, redirects, gzip, truncated and garbage answers, silence).
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import socket
import traceback
from collections.abc import Callable

import httpx
import pytest
from pydantic import SecretStr

from bot.deadline import Deadline
from bot.errors import VeniceNetworkError
from bot.venice.client import VeniceClient, make_http_client
from bot.venice.models import Balance
from bot.venice.source import UsageQuery
from venice_simulator import TEAM_KEY
from venice_simulator.server import RunningSimulator

KEY = SecretStr("sk-" + "test-" + "0123456789abcdef")
BALANCE = b'{"canConsume": true, "consumptionCurrency": "USD", "balances": {"usd": 12.5}}'

# One answer of the raw server: the bytes to send and whether to close the connection after
# them, or None for "never answer".
Reply = Callable[[int], tuple[bytes, bool] | None]


def http_response(body: bytes, status: str = "200 OK", *extra: str) -> bytes:
    head = [f"HTTP/1.1 {status}", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join([*head, *extra]) + "\r\n\r\n").encode() + body


class RawServer:
    """An HTTP/1.1 server on 127.0.0.1 answering request n with reply(n); it counts the
    connections it accepts and keeps every request's header lines (name lowercased)."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.connections = 0
        self.requests: list[list[tuple[str, str]]] = []
        self.request_lines: list[str] = []
        self.url = ""
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()
        if self._handlers:  # each ends when its client hangs up; none outlives the test
            await asyncio.wait(self._handlers, timeout=2)
        for handler in self._handlers:
            handler.cancel()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                self.request_lines.append(head.split("\r\n")[0])
                lines = head.split("\r\n")[1:-2]
                self.requests.append(
                    [(name.strip().lower(), value.strip())
                     for name, _, value in (line.partition(":") for line in lines)]
                )  # fmt: skip
                answer = self.reply(len(self.requests))
                if answer is None:
                    await reader.read()  # silent until the client gives up and hangs up
                    return
                data, close = answer
                writer.write(data)
                await writer.drain()
                if close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def header(self, n: int, name: str) -> list[str]:
        """Every value of header NAME in request n (1-based)."""
        return [value for key, value in self.requests[n - 1] if key == name]


def venice(http: httpx.AsyncClient, base_url: str) -> VeniceClient:
    return VeniceClient(http, base_url, max_attempts=1)


def chain(error: BaseException) -> str:
    """ERROR and every exception it holds (even a suppressed context), as text."""
    seen: list[str] = []
    link: BaseException | None = error
    while link is not None:
        seen.append(f"{link} {link!r}")
        link = link.__cause__ or link.__context__
    return "\n".join(seen)


async def test_venice_calls_through_the_simulator(pinned_sim: RunningSimulator) -> None:
    pinned_sim.simulator.faults.clear()
    async with make_http_client() as http:
        client = venice(http, pinned_sim.base_url)
        for _ in range(3):
            balance = await client.get_balance(SecretStr(TEAM_KEY), Deadline.after(5))
            assert isinstance(balance.value, Balance)
        usage = await client.get_usage(SecretStr(TEAM_KEY), UsageQuery("7d"), Deadline.after(5))
        assert usage.value.by_date


async def test_sequential_requests_reuse_one_connection() -> None:
    ok = (http_response(BALANCE), False)
    async with RawServer(lambda n: ok) as server, make_http_client() as http:
        client = venice(http, server.url)
        for _ in range(4):
            await client.get_balance(KEY, Deadline.after(5))
    assert len(server.requests) == 4
    assert server.connections == 1


async def test_request_headers_and_no_cookies_between_requests() -> None:
    cookie = (http_response(BALANCE, "200 OK", "Set-Cookie: session=tenant-a; Path=/"), False)
    async with RawServer(lambda n: cookie) as server, make_http_client() as http:
        client = venice(http, server.url)
        await client.get_balance(KEY, Deadline.after(5))
        await client.get_balance(SecretStr(TEAM_KEY), Deadline.after(5))
    for n in (1, 2):
        (agent,) = server.header(n, "user-agent")
        assert agent.startswith("venice-bot/")
        assert server.header(n, "accept") == ["application/json"]
        assert len(server.header(n, "accept-encoding")) == 1
        assert server.header(n, "cookie") == []
    assert server.header(1, "authorization") == [f"Bearer {KEY.get_secret_value()}"]
    assert server.header(2, "authorization") == [f"Bearer {TEAM_KEY}"]


async def test_a_redirect_is_not_followed() -> None:
    moved = http_response(b"{}", "302 Found", "Location: /elsewhere")
    async with RawServer(lambda n: (moved, False)) as server, make_http_client() as http:
        response = await http.get(server.url + "/billing/balance")
    assert response.status_code == 302
    assert response.headers["location"] == "/elsewhere"
    assert len(server.requests) == 1


async def test_a_gzip_body_is_decoded_once() -> None:
    packed = http_response(gzip.compress(BALANCE), "200 OK", "Content-Encoding: gzip")
    async with RawServer(lambda n: (packed, False)) as server, make_http_client() as http:
        response = await http.get(server.url + "/billing/balance")
        assert response.content == BALANCE
        balance = await venice(http, server.url).get_balance(KEY, Deadline.after(5))
    assert balance.value.can_consume


TRUNCATED = (http_response(BALANCE)[:-20], True)
GARBAGE = (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", True)


@pytest.mark.parametrize("answer", [TRUNCATED, GARBAGE], ids=["truncated", "garbage"])
async def test_broken_answers_are_transport_errors(answer: tuple[bytes, bool]) -> None:
    async with RawServer(lambda n: answer) as server, make_http_client() as http:
        with pytest.raises(httpx.TransportError):
            await http.get(server.url + "/billing/balance")
        with pytest.raises(VeniceNetworkError) as caught:
            await venice(http, server.url).get_balance(KEY, Deadline.after(5))
    logged = "".join(traceback.format_exception(caught.value))  # what log.exception would print
    assert KEY.get_secret_value() not in f"{caught.value} {caught.value!r} {logged}"


async def test_no_secret_anywhere_in_the_exception_chain() -> None:
    async with RawServer(lambda n: GARBAGE) as server, make_http_client() as http:
        with pytest.raises(VeniceNetworkError) as caught:
            await venice(http, server.url).get_balance(KEY, Deadline.after(5))
    assert KEY.get_secret_value() not in chain(caught.value)


async def test_silence_is_a_read_timeout() -> None:
    async with RawServer(lambda n: None) as server, make_http_client() as http:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.ReadTimeout):
            await http.get(server.url + "/billing/balance", timeout=httpx.Timeout(0.3))
        assert asyncio.get_running_loop().time() - started < 2


async def test_a_closed_port_is_a_connect_error() -> None:
    async with make_http_client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{closed_port()}/billing/balance")


def test_one_client_in_two_event_loops(pinned_sim: RunningSimulator) -> None:
    http = make_http_client()
    client = venice(http, pinned_sim.base_url)

    async def balance() -> Balance:
        return (await client.get_balance(SecretStr(TEAM_KEY), Deadline.after(5))).value

    async def balance_then_close() -> Balance:
        value = await balance()
        await http.aclose()
        return value

    assert isinstance(asyncio.run(balance()), Balance)
    assert isinstance(asyncio.run(balance_then_close()), Balance)
    assert http.is_closed
    gc.collect()  # an unclosed aiohttp session would warn here (warnings are errors)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], None]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)

    def set_proxy(proxy: str, no_proxy: str) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("NO_PROXY", no_proxy)

    return set_proxy


async def test_the_environments_proxy_carries_the_request(
    proxy_env: Callable[[str, str], None],
) -> None:
    async with RawServer(lambda n: (http_response(BALANCE), False)) as proxy:
        proxy_env(proxy.url, "direct.invalid")
        async with make_http_client() as http:
            response = await http.get("http://venice.invalid/api/v1/billing/balance")
    assert response.status_code == 200
    assert proxy.request_lines == ["GET http://venice.invalid/api/v1/billing/balance HTTP/1.1"]


async def test_no_proxy_hosts_go_direct(proxy_env: Callable[[str, str], None]) -> None:
    proxy_env(f"http://127.0.0.1:{closed_port()}", "127.0.0.1")
    answer = (http_response(BALANCE), False)
    async with RawServer(lambda n: answer) as server, make_http_client() as http:
        response = await http.get(server.url + "/billing/balance")
    assert response.status_code == 200
    assert server.request_lines == ["GET /billing/balance HTTP/1.1"]
