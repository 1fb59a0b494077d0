"""An httpx transport over aiohttp: the Venice client's requests for a fraction of the CPU.

httpx's own transport (httpcore over anyio) costs several milliseconds of CPU per request when
many requests run at once: every request and every response scans the whole connection pool,
asking each idle socket for its peer address. A daily digest makes three Venice requests, so
this was a third of the CPU of 2,000 digests (bench/digest.py). aiohttp's pool and C parser do
the same work for much less; httpx stays the client API (timeouts, Response, MockTransport in
tests), so only the bytes on the wire change hands here.

Behaviour kept from httpx's transport: no redirects followed (httpx decides), no decompression
(httpx decodes Content-Encoding itself), no cookies kept between requests (one client serves
every workspace), the proxy from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; read once,
as httpx would), certifi's CA bundle, the same connection limits. Unlike aiohttp's trust_env,
~/.netrc is never read (it was a thread hop per request, and the key is the only credential).
Failures come back as httpx's exceptions: ConnectTimeout, ConnectError,
ReadTimeout, ReadError, RemoteProtocolError, so callers catch what they always caught.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import urllib.request
from collections.abc import AsyncIterator

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one aiohttp session (created on first use, in its loop)."""

    def __init__(self, limits: httpx.Limits) -> None:
        self._limits = limits
        self._ssl: ssl.SSLContext = httpx.create_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncIterator[None] | None = None
        self._env_proxies = urllib.request.getproxies()
        self._proxies: dict[tuple[str, str], str | None] = {}

    async def _session_for_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            # A session belongs to the loop it was made in; a client reused by a later
            # asyncio.run() (tests, CLI) gets a new one there.
            connector = aiohttp.TCPConnector(
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry or 15.0,
                ssl=self._ssl,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,  # proxies: _proxy_for
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
            # asyncio.run() closes live async generators before its loop: this one closes the
            # session then, while its sockets can still be closed.
            self._closer = _closed_with_loop(self._session)
            await anext(self._closer)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = await self._session_for_loop()
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        body = await request.aread()
        raw = request.headers.raw
        failure: httpx.TransportError
        try:
            async with session.request(
                request.method,
                str(request.url),
                headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw],
                data=body or None,
                allow_redirects=False,
                proxy=self._proxy_for(request.url),
                timeout=timeout,
                compress=None,
            ) as response:
                content = await response.read()
                return httpx.Response(
                    response.status,
                    headers=list(response.raw_headers),
                    content=content,
                    request=request,
                    extensions={
                        "http_version": b"HTTP/1.1",
                        "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
                    },
                )
        except aiohttp.ClientError as error:
            failure = _httpx_error(error, request)
        except TimeoutError:  # what aiohttp raises for some phases before its own classes
            failure = httpx.ReadTimeout("timed out", request=request)
        # Raised outside the except, so aiohttp's error (whose request_info holds the
        # Authorization header) is not kept as its __context__.
        raise failure

    def _proxy_for(self, url: httpx.URL) -> str | None:
        """The environment's proxy for URL's scheme and host (None: go direct), looked up once."""
        key = (url.scheme, url.host)
        if key not in self._proxies:
            proxy = self._env_proxies.get(url.scheme)
            if proxy is not None and urllib.request.proxy_bypass(url.host):
                proxy = None
            self._proxies[key] = proxy
        return self._proxies[key]

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            with contextlib.suppress(RuntimeError):  # its loop is gone (kept past asyncio.run())
                await self._session.close()
        self._session = None


async def _closed_with_loop(session: aiohttp.ClientSession) -> AsyncIterator[None]:
    """Yields once, then closes SESSION when closed itself (asyncio.run() closes it)."""
    try:
        yield
    finally:
        await session.close()


def _httpx_error(error: aiohttp.ClientError, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception a caller of httpx expects for ERROR (its message names no secret:
    aiohttp messages name the host and port at most)."""
    kind: type[httpx.TransportError]
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        kind = httpx.ConnectTimeout
    elif isinstance(error, aiohttp.ServerTimeoutError):
        kind = httpx.ReadTimeout
    elif isinstance(error, aiohttp.ClientConnectorError):
        kind = httpx.ConnectError
    elif isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        kind = httpx.RemoteProtocolError
    elif isinstance(error, aiohttp.ClientResponseError):
        kind = httpx.RemoteProtocolError  # a response aiohttp could not parse
    else:
        kind = httpx.ReadError
    return kind(type(error).__name__, request=request)
