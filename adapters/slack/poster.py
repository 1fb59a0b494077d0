"""SlackPoster: digests into Slack channels without an incoming request (the scheduler)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import TIMEOUT_SECONDS, make_client
from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.pacing import ChannelPacer
from adapters.slack.post_errors import RUN_AGAIN, error_code, post_error
from adapters.slack.render import render_card
from adapters.slack.token_rotation import LockedTokenRotator, refresh_bot_token
from bot.logs import register_secret
from bot.ports import ChannelUnavailable, ChartImage, Post, PostFailed
from bot.settings import Settings
from bot.startup import OpenedStore

log = logging.getLogger(__name__)

WORKSPACE_PREFIX = "slack:"
NOT_INSTALLED = f"The app is not installed in this workspace: install it and {RUN_AGAIN}."


class SlackPoster:
    """Posts with the workspace's bot token: SLACK_BOT_TOKEN (one workspace), or the OAuth
    installation's token, refreshed first under the team's lock when it rotates."""

    platform = "slack"

    def __init__(self, settings: Settings, opened: OpenedStore) -> None:
        self.settings = settings
        self.opened = opened
        self.pacer = ChannelPacer()
        # One token-less client; each call carries its workspace's token.
        url = settings.slack_api_url.rstrip("/") + "/"  # urljoin keeps `/api` only with it
        self._client = make_client(settings.model_copy(update={"slack_api_url": url}))
        self._session: aiohttp.ClientSession | None = None
        self._installations: tuple[EncryptedInstallationStore, LockedTokenRotator] | None = None

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> str:
        """Post the card into CHANNEL_ID, then its chart; the message's `ts`."""
        token = await self._token(workspace_id)
        message = render_card(post.card)
        client = self._connected()
        async with self.pacer.hold(f"{workspace_id}/{channel_id}") as lane:
            async with lane.send():
                response = await _call(
                    channel_id,
                    client.chat_postMessage(
                        token=token,
                        channel=channel_id,
                        text=message["text"],
                        blocks=message["blocks"],
                        unfurl_links=False,
                        unfurl_media=False,
                    ),
                )
            ts = str(response.get("ts") or "")
            if post.chart is not None:
                async with lane.send():  # an upload is a message too, as Slack counts them
                    await self._upload(client, token, channel_id, post.chart, ts)
        return ts

    async def tell_admins(self, workspace_id: str, user_ids: Sequence[str], text: str) -> None:
        """TEXT to each admin in the app's DM with them; failures are logged, never raised."""
        try:
            token = await self._token(workspace_id)
        except PostFailed as error:
            log.warning("slack: cannot tell the admins of %s: %s", workspace_id, error.message)
            return
        client = self._connected()
        for user_id in dict.fromkeys(user_ids):
            try:
                await client.chat_postMessage(token=token, channel=user_id, text=text)
            except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
                code = (
                    error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
                )
                log.warning("slack: could not tell %s of %s (%s)", user_id, workspace_id, code)

    async def aclose(self) -> None:
        """Close the HTTP session the posts shared."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _upload(
        self, client: AsyncWebClient, token: str, channel_id: str, chart: ChartImage, ts: str
    ) -> None:
        """The chart under the card. The card is already posted: a failed upload is logged, not
        raised, so that a retry never posts the card twice."""
        try:
            await client.files_upload_v2(
                token=token,
                channel=channel_id,
                file=chart.png,
                filename=chart.filename,
                title=chart.filename,
                alt_txt=chart.alt_text,
            )
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
            code = error_code(error) if isinstance(error, SlackApiError) else type(error).__name__
            log.warning("slack: chart upload to %s after %s failed (%s)", channel_id, ts, code)

    def _connected(self) -> AsyncWebClient:
        """The client on a session of its own, opened in the running loop on first use."""
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
            self._session = aiohttp.ClientSession(timeout=timeout)
            self._client.session = self._session
        return self._client

    async def _token(self, workspace_id: str) -> str:
        """The bot token for WORKSPACE_ID: SLACK_BOT_TOKEN, or the installation's (refreshed)."""
        if self.settings.slack_client_id is None:
            if self.settings.slack_bot_token is None:
                raise PostFailed("Slack is not configured (SLACK_BOT_TOKEN).")
            token = self.settings.slack_bot_token.get_secret_value()
        else:
            store, rotator = self._oauth()
            team = workspace_id.removeprefix(WORKSPACE_PREFIX)
            try:
                found = await refresh_bot_token(store, rotator, team_id=team)
                if found is None and team.startswith("E"):  # an org-wide (Enterprise) install
                    found = await refresh_bot_token(
                        store, rotator, team_id=None, enterprise_id=team, is_enterprise_install=True
                    )
            except SlackApiError as error:
                raise post_error(error, "") from error
            except SlackClientError as error:
                raise PostFailed("Slack's token refresh failed.") from error
            if found is None:
                raise ChannelUnavailable(NOT_INSTALLED)
            token = found
        register_secret(token)
        return token

    def _oauth(self) -> tuple[EncryptedInstallationStore, LockedTokenRotator]:
        if self._installations is None:
            # Imported here: single-workspace mode needs no installation store.
            from adapters.slack.oauth import installation_store, token_rotator

            store = installation_store(self.settings, self.opened)
            self._installations = (store, token_rotator(self.settings, store))
        return self._installations


async def _call(channel_id: str, request: Any) -> Any:
    """Await REQUEST (a Web API call); its errors as PostFailed / ChannelUnavailable."""
    try:
        return await request
    except SlackApiError as error:
        raise post_error(error, channel_id) from error
    except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
        raise PostFailed(f"could not reach Slack ({type(error).__name__}).") from error
