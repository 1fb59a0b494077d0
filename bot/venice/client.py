"""Venice's billing API over HTTP: one shared httpx client, bounded retries, exact parsing.

Retry policy (Venice blocks a key for a while after many 4xx in 30 s, so be careful):
- 4xx other than 429: never retried; the same request would be refused again.
- 429: retried after the wait Venice asked for, only when that wait fits in the caller's
  Deadline; otherwise RateLimited is raised at once, carrying the wait.
- 5xx other than 504, and connection failures: exponential backoff with jitter while attempts
  and the Deadline allow.
- 504 is not retried: it is Venice saying the query was too heavy to finish in its own time
  limit, so the same query would most likely time out again, doubling the load for nothing.
  A read timeout on our side is not retried for the same reason.
Every attempt is bounded by min(read_timeout, time left), so a call never outlives its Deadline
by more than a few milliseconds.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import logging
import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import httpx
from pydantic import BaseModel, SecretStr

from bot import __version__
from bot.deadline import Deadline
from bot.errors import (
    BadKey,
    RateLimited,
    VeniceError,
    VeniceFailing,
    VeniceNetworkError,
    VeniceTimeout,
)
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.responses import error_for, parse_model
from bot.venice.source import Fetched, UsageQuery
from bot.venice.transport import AiohttpTransport

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

BALANCE_PATH = "/billing/balance"
USAGE_PATH = "/billing/usage-analytics"
API_KEYS_PATH = "/api_keys"
MIN_ATTEMPT_SECONDS = 0.05  # less time than this left is not worth a request
BACKOFF_SECONDS = 0.2
MAX_RATE_LIMIT_JITTER = 0.25
_jitter = random.SystemRandom()  # jitter only spreads retries; no security role


def user_agent() -> str:
    """The User-Agent every Venice request carries: names venice-bot and its version."""
    return f"venice-bot/{__version__} (+python-httpx/{httpx.__version__})"


def make_http_client(
    *, connect_timeout: float = 5.0, read_timeout: float = 20.0
) -> httpx.AsyncClient:
    """The one httpx client of the process, shared by every tenant's VeniceClient calls."""
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50, keepalive_expiry=30)
    return httpx.AsyncClient(
        headers={"User-Agent": user_agent(), "Accept": "application/json"},
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        transport=AiohttpTransport(limits),
        follow_redirects=False,
        # httpx keeps every Set-Cookie in the client's jar and sends it on: refuse them all.
        cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
    )


def _authorization(key: SecretStr) -> dict[str, str]:
    """The auth header for `key`; none for an empty key (Venice then answers 402)."""
    secret = key.get_secret_value().strip()
    if not secret:
        return {}
    # httpx would refuse such a header with an error quoting it, i.e. quoting the key.
    if not all("!" <= char <= "~" for char in secret):
        raise BadKey("That key contains characters a Venice key never has; paste it again.")
    return {"Authorization": f"Bearer {secret}"}


class VeniceClient:
    """Calls Venice's billing routes for any key, within the caller's Deadline."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        read_timeout: float = 20.0,
        max_attempts: int = 4,
        metrics: Metrics | None = None,
    ) -> None:
        self._http = http
        self._metrics = metrics
        self._base_url = base_url.rstrip("/")
        self._read_timeout = read_timeout
        self._max_attempts = max(1, max_attempts)

    async def get_balance(self, key: SecretStr, deadline: Deadline) -> Fetched[Balance]:
        """`GET /billing/balance` for `key`."""
        return await self._get(BALANCE_PATH, key, {}, Balance, deadline)

    async def get_usage(
        self, key: SecretStr, query: UsageQuery, deadline: Deadline
    ) -> Fetched[UsageAnalytics]:
        """`GET /billing/usage-analytics` for `key` over `query`'s period."""
        return await self._get(USAGE_PATH, key, query.params(), UsageAnalytics, deadline)

    async def get_api_keys(self, key: SecretStr, deadline: Deadline) -> Fetched[ApiKeys]:
        """`GET /api_keys` for `key`: every API key of its account, with limits and usage."""
        return await self._get(API_KEYS_PATH, key, {}, ApiKeys, deadline)

    async def _get(
        self,
        path: str,
        key: SecretStr,
        params: dict[str, str],
        model: type[M],
        deadline: Deadline,
    ) -> Fetched[M]:
        headers = _authorization(key)
        secret = key.get_secret_value().strip()
        failure: VeniceError | None = None
        attempt = 0
        while True:
            attempt += 1
            budget = deadline.remaining()
            if budget < MIN_ATTEMPT_SECONDS:
                raise failure or VeniceTimeout("Venice did not answer in time; try again.")
            started = time.monotonic()
            try:
                response = await self._send(
                    self._base_url + path, params, headers, budget, deadline
                )
            except VeniceError as error:
                self._log_attempt(path, type(error).__name__, attempt, started)
                failure = error
            else:
                fetched_at = datetime.now(UTC)
                self._log_attempt(path, str(response.status_code), attempt, started)
                if response.is_success:
                    return Fetched(parse_model(model, response), fetched_at)
                failure = error_for(
                    response, secret=secret, takes_period=bool(params), now=time.time()
                )
            pause = self._pause_before_retry(failure, attempt, deadline)
            if pause is None:
                raise failure
            log.info(
                "venice GET %s: %s, retrying in %.2f s (attempt %d of %d)",
                path, type(failure).__name__, pause, attempt + 1, self._max_attempts,
            )  # fmt: skip
            await asyncio.sleep(pause)

    def _log_attempt(self, path: str, outcome: str, attempt: int, started: float) -> None:
        elapsed = time.monotonic() - started
        if self._metrics is not None:
            self._metrics.venice_call(path.rsplit("/", 1)[-1], outcome, elapsed)
        elapsed_ms = round(elapsed * 1000)
        log.debug("venice GET %s -> %s (attempt %d, %d ms)", path, outcome, attempt, elapsed_ms)

    async def _send(
        self,
        url: str,
        params: dict[str, str],
        headers: dict[str, str],
        budget: float,
        deadline: Deadline,
    ) -> httpx.Response:
        """One request bounded by min(read_timeout, budget); transport failures as VeniceErrors."""
        limit = min(self._read_timeout, budget)
        connect = self._http.timeout.connect
        timeout = httpx.Timeout(limit, connect=min(connect, limit) if connect else limit)
        try:
            # httpx's timeouts bound each socket operation; this bounds the whole exchange.
            async with asyncio.timeout(limit):
                return await self._http.get(url, params=params, headers=headers, timeout=timeout)
        except httpx.ConnectTimeout:
            if deadline.remaining() < MIN_ATTEMPT_SECONDS:
                raise VeniceTimeout("Venice did not answer in time; try again.") from None
            raise VeniceNetworkError("Could not connect to Venice in time; try again.") from None
        except (TimeoutError, httpx.TimeoutException):
            raise VeniceTimeout("Venice did not answer in time; try again.") from None
        except httpx.TransportError as error:
            raise VeniceNetworkError(
                f"Could not reach Venice ({type(error).__name__}); try again in a minute."
            ) from None

    def _pause_before_retry(
        self, failure: VeniceError, attempt: int, deadline: Deadline
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when it should not be made."""
        if attempt >= self._max_attempts:
            return None
        if isinstance(failure, RateLimited):
            wait = failure.retry_after
            if wait is None:
                wait = BACKOFF_SECONDS * 2 ** (attempt - 1)
            pause = wait + _jitter.uniform(0, min(MAX_RATE_LIMIT_JITTER, wait / 10))
        elif isinstance(failure, VeniceFailing | VeniceNetworkError):
            pause = BACKOFF_SECONDS * 2 ** (attempt - 1) * _jitter.uniform(0.5, 1.5)
        else:
            return None
        # Sleeping past the Deadline only delays the same answer: raise it now instead.
        if pause + MIN_ATTEMPT_SECONDS > deadline.remaining():
            return None
        return pause


class VeniceAccount:
    """One key's billing data: a BillingSource over a shared VeniceClient."""

    def __init__(self, client: VeniceClient, key: SecretStr) -> None:
        self._client = client
        self._key = key

    def __repr__(self) -> str:
        return "VeniceAccount(key=**********)"

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        """The account's balance."""
        return await self._client.get_balance(self._key, deadline)

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        """The account's usage analytics over `query`'s period."""
        return await self._client.get_usage(self._key, query, deadline)

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        """The account's API keys, their limits and usage."""
        return await self._client.get_api_keys(self._key, deadline)
