"""Multi-workspace mode: the OAuth install flow's settings, on the bot's own database.

`/slack/install` sets a state cookie and redirects to Slack's authorize page; Slack sends the
installer back to `/slack/oauth_redirect`, where Bolt exchanges the code (oauth.v2.access, at
SLACK_API_URL) and stores the installation, tokens sealed. States live in the database, so any
process may answer the redirect.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import and_, delete

from adapters.slack.client import make_client
from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.token_rotation import ROTATION_MINUTES, LockedTokenRotator, team_locks
from adapters.slack.uninstall import register_uninstall_listeners
from bot.secrets import SecretBox
from bot.settings import Settings
from bot.startup import OpenedStore

__all__ = [
    "installation_store",
    "oauth_settings",
    "register_uninstall_listeners",
    "token_rotator",
]

# The manifest's scopes (tests/adapters/slack/test_manifest.py keeps them equal); the last three
# are the scheduled posts' (docs/digests.md).
BOT_SCOPES = (
    "commands", "chat:write", "chat:write.public", "files:write", "users:read",
    "channels:history", "groups:history", "channels:join",
)  # fmt: skip
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600

logger = logging.getLogger(__name__)


class DatabaseOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """slack-sdk's SQL state store, with a state consumed once even by two processes at once
    (one atomic DELETE) and expired states cleared as new ones are issued."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state, valid for STATE_SECONDS."""
        table = self.oauth_states
        async with self.engine.begin() as connection:
            await connection.execute(delete(table).where(table.c.expire_at <= _naive_utc_now()))
        state: str = await super().async_issue(*args, **kwargs)
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not expired; False otherwise."""
        table = self.oauth_states
        async with self.engine.begin() as connection:
            removed = await connection.execute(
                delete(table).where(
                    and_(table.c.state == state, table.c.expire_at > _naive_utc_now())
                )
            )
        return bool(removed.rowcount)


def _naive_utc_now() -> datetime:
    # slack-sdk stores naive UTC datetimes (TIMESTAMP WITHOUT TIME ZONE).
    return datetime.now(UTC).replace(tzinfo=None)


def slack_web_client(settings: Settings) -> AsyncWebClient:
    """A token-less Web API client at SLACK_API_URL (OAuth exchanges and token refreshes)."""
    url = settings.slack_api_url
    # Without the slash, urljoin would drop the URL's last segment (`/api`).
    return make_client(settings.model_copy(update={"slack_api_url": url.rstrip("/") + "/"}))


def installation_store(settings: Settings, opened: OpenedStore) -> EncryptedInstallationStore:
    """The sealed installation store of SLACK_CLIENT_ID on the bot's database."""
    if settings.slack_client_id is None:
        raise ValueError("multi-workspace mode needs SLACK_CLIENT_ID")
    return EncryptedInstallationStore.on_engine(
        settings.slack_client_id, opened.database.engine, SecretBox(opened.keyring)
    )


async def oauth_settings(settings: Settings, opened: OpenedStore) -> AsyncOAuthSettings:
    """Bolt's OAuth settings: sealed installations and states in the bot's database, Web API
    calls (oauth.v2.access, token refreshes) to SLACK_API_URL."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise ValueError("multi-workspace mode needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    await opened.database.require_current()  # migration 0002 made the tables
    client_id = settings.slack_client_id
    client_secret = settings.slack_client_secret.get_secret_value()
    store = installation_store(settings, opened)
    oauth = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        # Straight to Slack's authorize page: no interstitial "Add to Slack" page of Bolt's.
        install_page_rendering_enabled=False,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        state_store=DatabaseOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=opened.database.engine
        ),
        state_expiration_seconds=STATE_SECONDS,
    )
    # Bolt's own authorize refreshes tokens with a client at slack.com: point it at
    # SLACK_API_URL, and make it take the team's lock like the scheduler does.
    client = slack_web_client(settings)
    authorize = AsyncInstallationStoreAuthorize(
        logger=logger,
        client_id=client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=ROTATION_MINUTES,
        installation_store=store,
        client=client,
        # Skip Bolt's auth.test on every request once a token is known good (keyed by token,
        # so a refreshed token is checked once again).
        cache_enabled=True,
    )
    authorize.token_rotator = token_rotator(settings, store, client=client)
    oauth.authorize = authorize
    return oauth


def token_rotator(
    settings: Settings,
    store: EncryptedInstallationStore,
    *,
    client: AsyncWebClient | None = None,
) -> LockedTokenRotator:
    """The rotator Bolt uses, and the scheduler too (with `refresh_bot_token`): refreshes at
    SLACK_API_URL under the team's lock (Redis when REDIS_URL is set)."""
    if settings.slack_client_id is None or settings.slack_client_secret is None:
        raise ValueError("token rotation needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    return LockedTokenRotator(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=client or slack_web_client(settings),
        store=store,
        locks=team_locks(settings),
    )
