"""The Slack Web API client: SLACK_API_URL as its base, and retries when Slack rate-limits."""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler as RetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.logs import register_secret
from bot.settings import Settings

# Slack answers 429 with Retry-After (chat.postMessage: about one message a second a channel);
# the SDK's default handlers retry only connection errors.
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 10


def make_client(
    settings: Settings, token: str | None = None, *, retry_dropped: bool = True
) -> AsyncWebClient:
    """An AsyncWebClient on SLACK_API_URL with TOKEN (None: Bolt sets each request's token).

    RETRY_DROPPED False: a dropped connection is not retried, for posts that must not be made
    twice (Slack may have taken one whose answer was lost: the scheduler looks for it instead).
    A 429 is always waited out: Slack took nothing."""
    if token is not None:
        register_secret(token)
    handlers: list[RetryHandler] = []
    if retry_dropped:
        handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES))
    handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=handlers,
    )
