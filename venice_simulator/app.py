"""The simulator: Venice's billing routes and /api_keys under /api/v1, with auth, faults and a
call record."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from venice_simulator import control
from venice_simulator.accounts import account_for, balance, bearer_key, key_kind
from venice_simulator.analytics import usage_analytics
from venice_simulator.api_keys import api_keys
from venice_simulator.catalog import AccountProfile
from venice_simulator.faults import Faults
from venice_simulator.history import as_csv, page, walk_for
from venice_simulator.jsontext import InvalidParams, json_response, standard_error
from venice_simulator.periods import parse_period

API_KEYS_PATH = "/api_keys"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
RETIRED_HEADERS = {
    "Deprecation": "@1767225600",  # RFC 9745: 2026-01-01T00:00:00Z
    "Sunset": "Wed, 01 Jul 2026 00:00:00 GMT",
    "Link": '</api/v1/billing/usage-history>; rel="successor-version"',
}
PAYMENT_REQUIRED = {
    "x402Version": 1,
    "error": "Payment required",
    "accepts": [
        {
            "scheme": "exact",
            "network": "base",
            "maxAmountRequired": "5000000",
            "resource": "https://api.venice.ai/api/v1/x402/top-up",
            "mimeType": "application/json",
            "description": "Top up Venice API credits with USDC",
            "payTo": "0x0000000000000000000000000000000000000402",
            "asset": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            "maxTimeoutSeconds": 300,
        }
    ],
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Simulator:
    """Venice's billing API with deterministic data from `seed`; `clock` pins "now" (aware UTC)."""

    def __init__(self, seed: int = 7, clock: control.Clock | None = None) -> None:
        self.seed = seed
        self.clock: control.Clock = clock or _utc_now
        self.faults = Faults()
        self.calls: list[control.RecordedCall] = []
        self._routes: dict[str, Callable[[Request, AccountProfile, datetime], Response]] = {
            "/billing/balance": self._balance,
            "/billing/usage-analytics": self._usage_analytics,
            "/billing/usage-history": self._usage_history,
            API_KEYS_PATH: self._api_keys,
        }
        self._app = Starlette(
            routes=[
                Route("/api/v1/{path:path}", self._api, methods=ALL_METHODS),
                *control.routes(self),
            ]
        )

    @property
    def app(self) -> Starlette:
        """The ASGI application."""
        return self._app

    def now(self) -> datetime:
        """The simulator's current time, in UTC."""
        return self.clock().astimezone(UTC)

    async def _api(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        kind = key_kind(bearer_key(request.headers.get("authorization")))
        if self.faults.latency > 0:
            await asyncio.sleep(self.faults.latency)
        response = self._answer(request, path, kind)
        self.calls.append(
            control.RecordedCall(
                request.method,
                path,
                dict(request.query_params),
                response.status_code,
                kind,
                request.headers.get("user-agent"),
            )
        )
        return response

    def _answer(self, request: Request, path: str, kind: str) -> Response:
        faulted = path.startswith("/billing/") or path == API_KEYS_PATH
        if faulted and (fault := self.faults.take()) is not None:
            return fault.response()
        if path == "/billing/usage":
            message = "GET /billing/usage has been retired: use /billing/usage-history instead"
            return standard_error(410, message, RETIRED_HEADERS)
        handler = self._routes.get(path)
        if handler is None:
            return standard_error(404, "Not found")
        if request.method not in ("GET", "HEAD"):
            return standard_error(405, "Method not allowed")
        if kind == "none":
            return json_response(PAYMENT_REQUIRED, 402)
        if kind == "unknown":
            return standard_error(401, "Authentication failed")
        if kind == "inference":
            return standard_error(401, "Admin API key required")
        key = bearer_key(request.headers.get("authorization")) or ""
        try:
            return handler(request, account_for(key), self.now())
        except InvalidParams as invalid:
            return invalid.response()

    def _balance(self, request: Request, account: AccountProfile, now: datetime) -> Response:
        return json_response(balance(self.seed, account, now))

    def _usage_analytics(
        self, request: Request, account: AccountProfile, now: datetime
    ) -> Response:
        period = parse_period(request.query_params, now.date())
        return json_response(usage_analytics(self.seed, account, period, now))

    def _usage_history(self, request: Request, account: AccountProfile, now: datetime) -> Response:
        walk = walk_for(request.query_params, account.name, now)
        entries, cursor = page(self.seed, account, walk, now)
        if "text/csv" in request.headers.get("accept", ""):
            headers = {"x-next-cursor": cursor} if cursor else {}
            return Response(as_csv(entries), headers=headers, media_type="text/csv")
        body: dict[str, Any] = {"data": entries, "nextCursor": cursor}
        return json_response(body)

    def _api_keys(self, request: Request, account: AccountProfile, now: datetime) -> Response:
        return json_response(api_keys(self.seed, account, now))
