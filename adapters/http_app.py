"""The HTTP side of `venice-bot serve`: Slack's routes and the health probes, one ASGI app."""

from __future__ import annotations

from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import readiness
from adapters.slack.front_door import SlackFrontDoor, bolt_request
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
        secret = runtime.settings.slack_signing_secret
        door = (
            SlackFrontDoor(slack, secret.get_secret_value(), runtime.metrics)
            if events and secret is not None
            else None
        )
        routes += slack_routes(slack, door)
    return Starlette(routes=routes)


def slack_routes(slack: AsyncApp, door: SlackFrontDoor | None) -> list[Route]:
    """POST /slack/events through DOOR (HTTP mode; None in Socket Mode); in OAuth mode GET
    /slack/install and /slack/oauth_redirect."""
    routes = [Route(EVENTS_PATH, door.handle, methods=["POST"])] if door is not None else []
    flow = slack.oauth_flow
    if flow is not None:
        install_path = flow.install_path or INSTALL_PATH
        redirect_path = flow.redirect_uri_path or REDIRECT_PATH

        async def oauth(request: Request) -> Response:
            # A GET has no body worth reading: Bolt's OAuth flow wants the query and headers.
            asked = bolt_request(request, "")
            if request.url.path == install_path:
                return to_starlette_response(await flow.handle_installation(asked))
            return to_starlette_response(await flow.handle_callback(asked))

        routes += [
            Route(path, oauth, methods=["GET"]) for path in sorted({install_path, redirect_path})
        ]
    return routes
