"""`serve` in single-workspace mode checks SLACK_BOT_TOKEN before it takes requests.

- A rotating token (`xoxe.xoxb-...`, from an app with token rotation on) expires 12 hours after
  Slack issued it and single-workspace mode holds no refresh token to renew it: refused at once,
  with what to do. Token rotation is reported to be permanent once an app has it on, so the way
  out is a new app from the single-workspace manifest, or multi-workspace mode, which refreshes
  tokens.
- `auth.test` at SLACK_API_URL: a token Slack refuses (`invalid_auth`, revoked, expired ...)
  stops start-up with one sentence.
- Slack unreachable, slow or failing on its side: one warning, and `serve` starts anyway. Slack
  then cannot deliver requests either, and slack-bolt checks the token again with `auth.test`
  on the first request that arrives; refusing to start would only turn an outage of Slack into
  a crash loop of the bot.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.startup import StartupError

log = logging.getLogger(__name__)

ROTATING_PREFIX = "xoxe."
CHECK_SECONDS = 8.0
# auth.test errors that mean the token itself is no good.
REFUSED_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "ekm_access_denied",
        "not_allowed_token_type",
    }
)
ROTATING = (
    "SLACK_BOT_TOKEN is a rotating token (it starts with xoxe.): it expires 12 hours after Slack "
    "issued it, and single-workspace mode cannot renew it. Create a new app from manifest.yaml "
    "(token rotation off; an app cannot turn it off once on) and use its xoxb- token, or run "
    "multi-workspace mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET), which refreshes rotating "
    "tokens."
)


def refused(error: str) -> str:
    """The sentence for a token Slack refuses with ERROR (`invalid_auth` ...)."""
    return (
        f"Slack refused SLACK_BOT_TOKEN ({error}); copy the Bot User OAuth Token (xoxb-...) again "
        "from your Slack app's OAuth & Permissions page, and reinstall the app if it was revoked."
    )


async def check_bot_token(token: str, client: AsyncWebClient) -> None:
    """StartupError for a rotating TOKEN or one Slack refuses; a warning when Slack cannot say."""
    if token.startswith(ROTATING_PREFIX):
        raise StartupError(ROTATING)
    try:
        answer = await asyncio.wait_for(client.auth_test(token=token), CHECK_SECONDS)
    except SlackApiError as error:
        code = str(error.response.get("error") or "error")
        if code in REFUSED_TOKEN:
            raise StartupError(refused(code)) from None
        _unchecked(code)
        return
    except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as error:
        _unchecked(type(error).__name__)
        return
    log.info(
        "Slack workspace %s (%s): SLACK_BOT_TOKEN accepted",
        answer.get("team_id"),
        answer.get("team"),
    )


def _unchecked(reason: str) -> None:
    log.warning(
        "could not check SLACK_BOT_TOKEN with Slack's auth.test (%s); starting anyway: Slack "
        "requests are checked again as they arrive",
        reason,
    )
