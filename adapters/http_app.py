"""The HTTP side of `venice-bot serve`: Slack's routes and the health probes, one ASGI app."""

from __future__ import annotations

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import readiness
from bot.metrics import CONTENT_TYPE
from bot.runtime import Runtime

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


def build_http_app(
    runtime: Runtime, slack: AsyncApp | None = None, *, events: bool = True
) -> Starlette:
    """/healthz, /readyz and /metrics always; with SLACK its OAuth routes, and with EVENTS (HTTP
    mode, not Socket Mode) POST /slack/events."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        state = await readiness.check(runtime)
        return JSONResponse(state.body, status_code=200 if state.ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(runtime.metrics.exposition(), media_type=CONTENT_TYPE)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if slack is not None:
        routes += slack_routes(slack, events=events)
    return Starlette(routes=routes)


def slack_routes(slack: AsyncApp, *, events: bool = True) -> list[Route]:
    """POST /slack/events (with EVENTS); in OAuth mode GET /slack/install and /oauth_redirect."""
    handler = AsyncSlackRequestHandler(slack)

    async def handle(request: Request) -> Response:
        return await handler.handle(request)

    routes = [Route(EVENTS_PATH, handle, methods=["POST"])] if events else []
    flow = slack.oauth_flow
    if flow is not None:
        # Bolt answers the paths its OAuth settings name; default to ours when they agree.
        paths = {flow.install_path or INSTALL_PATH, flow.redirect_uri_path or REDIRECT_PATH}
        routes += [Route(path, handle, methods=["GET"]) for path in sorted(paths)]
    return routes
