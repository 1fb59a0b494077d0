"""Socket Mode (SLACK_APP_TOKEN, for development): the app token checked before connecting, the
connection run as one part of `serve` that ends when `serve` stops, and the Socket Mode client's
reconnection errors logged as one line a minute instead of a traceback every 10 seconds.

- SLACK_APP_TOKEN must be an app-level token (`xapp-...`); one Slack refuses when asked for the
  WebSocket URL (`apps.connections.open`: `invalid_auth`, revoked ...) stops start-up with one
  sentence saying what to do.
- Slack unreachable at start-up: one warning, and the client keeps trying (every 10 s, as
  slack-sdk does) until Slack answers or `serve` is stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.startup import StartupError
from bot.throttled_log import ThrottledWarnings

log = logging.getLogger(__name__)

APP_LEVEL_PREFIX = "xapp-"
CHECK_SECONDS = 8.0
CLOSE_SECONDS = 2.0
# apps.connections.open errors that mean the app token itself is no good.
REFUSED_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "missing_scope",
        "no_permission",
    }
)
NOT_APP_LEVEL = (
    "SLACK_APP_TOKEN is not an app-level token (those start with xapp-); on your Slack app's "
    "Basic Information page, under App-Level Tokens, generate one with the connections:write "
    "scope and set it."
)
# The Socket Mode client logs through this logger (a library one: never below INFO).
CLIENT_LOGGER = "slack_sdk.socket_mode.aiohttp"


def refused(error: str) -> str:
    """The sentence for an app token Slack refuses with ERROR."""
    return (
        f"Slack refused SLACK_APP_TOKEN ({error}); on your Slack app's Basic Information page, "
        "under App-Level Tokens, generate a token with the connections:write scope and set it."
    )


class QuietReconnects(logging.Filter):
    """The Socket Mode client's errors as one line (no traceback, no URL), at most once a minute
    per kind: it logs `Failed to connect ... Retrying...` with a traceback every 10 seconds for
    as long as Slack refuses or cannot be reached."""

    def __init__(self) -> None:
        super().__init__()
        self._warnings = ThrottledWarnings(log)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        # The words before any detail: the details can hold URLs (with a WebSocket ticket).
        what = record.getMessage().split("(", 1)[0].split(":", 1)[0].strip()[:80]
        error = record.exc_info[1] if record.exc_info else None
        kind = f" ({_said(error)})" if error is not None else ""
        self._warnings.warn(what + kind, f"Socket Mode: {what}{kind}")
        return False


async def open_socket_mode(app: AsyncApp, token: str) -> AsyncSocketModeHandler:
    """The Socket Mode handler of APP with app token TOKEN, its first WebSocket URL already
    issued; StartupError for a token that is no app token or that Slack refuses."""
    if not token.startswith(APP_LEVEL_PREFIX):
        raise StartupError(NOT_APP_LEVEL)
    url: str | None = None
    try:
        answer = await asyncio.wait_for(
            app.client.apps_connections_open(app_token=token), CHECK_SECONDS
        )
        url = answer.get("url")
    except SlackApiError as error:
        code = str(error.response.get("error") or "error")
        if code in REFUSED_TOKEN:
            raise StartupError(refused(code)) from None
        _unreachable(code)
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as error:
        _unreachable(type(error).__name__)
    client_log = logging.getLogger(CLIENT_LOGGER)
    if not any(isinstance(f, QuietReconnects) for f in client_log.filters):
        client_log.addFilter(QuietReconnects())
    handler = AsyncSocketModeHandler(app, token, logger=client_log)
    if isinstance(url, str) and url:
        handler.client.wss_uri = url  # the one just issued: the client need not ask again
    return handler


async def run_socket_mode(handler: AsyncSocketModeHandler, stop: asyncio.Event) -> None:
    """Connect (the client retries every 10 s while Slack cannot be reached) and stay connected
    until STOP is set; closed on the way out, however it ends."""
    try:
        connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if connecting.done():
                connecting.result()
                await stop.wait()
        finally:
            for task in (connecting, stopping):
                task.cancel()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(handler.close_async(), CLOSE_SECONDS)  # type: ignore[no-untyped-call]


def _unreachable(reason: str) -> None:
    log.warning(
        "could not reach Slack to open Socket Mode (%s); starting anyway and trying again every "
        "10 s",
        reason,
    )


def _said(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or "error")
    return type(error).__name__
