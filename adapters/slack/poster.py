"""SlackPoster: scheduled posts into Slack channels without an incoming request.

Every post of a delivery carries Slack message metadata (`event_type` venice_bot_delivery, the
delivery's id in `event_payload`), and its chart's file name carries a token of the same id, so
that a process recovering from a crash finds them in the channel's history
(`conversations.history` with `include_all_metadata`, scopes `channels:history` and
`groups:history`) instead of posting them again. History is read only then, never on the way
of an ordinary post: Slack limits it to one call a minute for some apps.

A chart is a file upload of its own, and Slack takes a file only from a member of the channel
(the message may come in through `chat:write.public`): a refused upload joins the channel
(`channels:join`, public channels) and tries once more, else the admin is told what to do.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import TIMEOUT_SECONDS, make_client
from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.pacing import ChannelPacer
from adapters.slack.post_errors import RUN_AGAIN, chart_advice, error_code, post_error
from adapters.slack.render import render_card
from adapters.slack.token_rotation import LockedTokenRotator, refresh_bot_token
from bot.logs import register_secret
from bot.ports import (
    CannotLookBack,
    ChannelUnavailable,
    ChartImage,
    ChartRefused,
    Found,
    Post,
    Posted,
    PostFailed,
)
from bot.settings import Settings
from bot.startup import OpenedStore

log = logging.getLogger(__name__)

WORKSPACE_PREFIX = "slack:"
NOT_INSTALLED = f"The app is not installed in this workspace: install it and {RUN_AGAIN}."
# The message metadata every scheduled post carries (the delivery id in its payload).
EVENT_TYPE = "venice_bot_delivery"
# How far back a recovering process reads a channel: pages of 200 messages, at most this many.
HISTORY_PAGE = 200
HISTORY_PAGES = 5
# Slack's answers when the bot is not in the channel, for a file upload or a history read.
_NOT_MEMBER = ("not_in_channel",)
_NO_HISTORY = ("missing_scope", "not_allowed_token_type", "channel_not_found", "no_permission")
# conversations.join's answers that mean the bot will not get in (others may pass: try later).
_JOIN_REFUSED = (
    "method_not_supported_for_channel_type",
    "missing_scope",
    "is_archived",
    "restricted_action",
    "channel_not_found",
    "no_permission",
    "not_allowed_token_type",
    "cant_invite",
)


def chart_filename(chart: ChartImage, delivery: str | None) -> str:
    """The chart's file name: with a token of DELIVERY when it has one, so that a recovering
    process can tell it in the channel (`venice-spend-4k2p7xq9ab.png`)."""
    if delivery is None:
        return chart.filename
    token = base64.b32encode(hashlib.sha256(delivery.encode()).digest()).decode().lower()[:10]
    stem, dot, suffix = chart.filename.rpartition(".")
    return f"{stem}-{token}.{suffix}" if dot else f"{chart.filename}-{token}"


class SlackPoster:
    """Posts with the workspace's bot token: SLACK_BOT_TOKEN (one workspace), or the OAuth
    installation's token, refreshed first under the team's lock when it rotates."""

    platform = "slack"

    def __init__(self, settings: Settings, opened: OpenedStore) -> None:
        self.settings = settings
        self.opened = opened
        self.pacer = ChannelPacer()
        # One token-less client; each call carries its workspace's token. A dropped connection
        # is never retried here: the post may have gone in (the delivery path looks for it).
        url = settings.slack_api_url.rstrip("/") + "/"  # urljoin keeps `/api` only with it
        self._client = make_client(
            settings.model_copy(update={"slack_api_url": url}), retry_dropped=False
        )
        self._session: aiohttp.ClientSession | None = None
        self._installations: tuple[EncryptedInstallationStore, LockedTokenRotator] | None = None

    async def post(self, workspace_id: str, channel_id: str, post: Post) -> Posted:
        """Post the card into CHANNEL_ID, marked with the delivery's id; the message's `ts`."""
        token = await self._token(workspace_id)
        message = render_card(post.card)
        extra: dict[str, Any] = {}
        if post.delivery is not None:
            extra["metadata"] = {
                "event_type": EVENT_TYPE,
                "event_payload": {"delivery": post.delivery},
            }
        if post.reply_to:
            # In the thread of the message it follows, and shown in the channel too: where the
            # team reads it, and where `find` (conversations.history) looks for it after a crash.
            extra["thread_ts"] = post.reply_to
            extra["reply_broadcast"] = True
        client = self._connected()
        async with self.pacer.hold(f"{workspace_id}/{channel_id}") as lane, lane.send():
            response = await _call(
                channel_id,
                client.chat_postMessage(
                    token=token,
                    channel=channel_id,
                    text=message["text"],
                    blocks=message["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                    **extra,
                ),
            )
        return Posted(str(response.get("ts") or ""))

    async def post_chart(
        self, workspace_id: str, channel_id: str, post: Post, *, message_id: str
    ) -> str:
        """Upload the chart into CHANNEL_ID (after the message MESSAGE_ID); the file's id. Not a
        member of the channel: join it (public channels) and try once more, else ChartRefused."""
        chart = post.chart
        if chart is None:
            raise ValueError("post_chart needs a post with a chart")
        token = await self._token(workspace_id)
        client = self._connected()
        filename = chart_filename(chart, post.delivery)
        async with self.pacer.hold(f"{workspace_id}/{channel_id}") as lane:
            try:
                async with lane.send():  # an upload is a message too, as Slack counts them
                    return await self._upload(client, token, channel_id, chart, filename)
            except SlackApiError as error:
                if error_code(error) not in _NOT_MEMBER:
                    raise _chart_error(error, channel_id) from error
            await self._join(client, token, channel_id)
            try:
                async with lane.send():
                    return await self._upload(client, token, channel_id, chart, filename)
            except SlackApiError as error:
                raise _chart_error(error, channel_id) from error

    async def find(
        self, workspace_id: str, channel_id: str, delivery: str, *, since: datetime, until: datetime
    ) -> Found | None:
        """The message marked DELIVERY (and its chart) in CHANNEL_ID between SINCE and UNTIL,
        from the channel's history; CannotLookBack when the install may not read it, or the
        window holds more than a few pages of messages."""
        token = await self._token(workspace_id)
        client = self._connected()
        try:
            messages = await self._history(client, token, channel_id, since, until)
        except SlackApiError as error:
            if error_code(error) not in _NOT_MEMBER:
                raise _history_error(error) from error
            await self._join(client, token, channel_id, reading=True)
            try:
                messages = await self._history(client, token, channel_id, since, until)
            except SlackApiError as again:
                raise _history_error(again) from again
        return _found(messages, delivery)

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
        self,
        client: AsyncWebClient,
        token: str,
        channel_id: str,
        chart: ChartImage,
        filename: str,
    ) -> str:
        """files_upload_v2 into CHANNEL_ID; the file's id. Its Slack errors as they come."""
        try:
            response = await client.files_upload_v2(
                token=token,
                channel=channel_id,
                file=chart.png,
                filename=filename,
                title=chart.filename,
                alt_txt=chart.alt_text,
            )
        except SlackApiError:
            raise
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
            raise PostFailed(
                f"could not reach Slack for the chart ({type(error).__name__}).", uncertain=True
            ) from error
        files = response.get("files") or []
        first = files[0] if files and isinstance(files[0], dict) else {}
        return str(first.get("id") or "")

    async def _join(
        self, client: AsyncWebClient, token: str, channel_id: str, *, reading: bool = False
    ) -> None:
        """Join CHANNEL_ID (public channels, `channels:join`); ChartRefused (or CannotLookBack
        when READING) saying what an admin can do when Slack will not let the bot in."""
        try:
            await client.conversations_join(token=token, channel=channel_id)
        except SlackApiError as error:
            code = error_code(error)
            if code not in _JOIN_REFUSED:  # rate-limited, Slack failing: try again later
                raise post_error(error, channel_id) from error
            if reading:
                raise CannotLookBack(
                    f"the bot is not in the channel and cannot join it ({code})"
                ) from error
            message, here = chart_advice(code, channel_id, joining=True)
            raise ChartRefused(message, here=here) from error
        except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
            raise PostFailed(f"could not reach Slack ({type(error).__name__}).") from error
        log.info("slack: joined %s to post a digest's chart there", channel_id)

    async def _history(
        self, client: AsyncWebClient, token: str, channel_id: str, since: datetime, until: datetime
    ) -> list[dict[str, Any]]:
        """The channel's messages between SINCE and UNTIL (newest first), a few pages at most:
        CannotLookBack when there are more (a post among them could not be ruled out)."""
        messages: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                response = await client.conversations_history(
                    token=token,
                    channel=channel_id,
                    oldest=f"{since.timestamp():.6f}",
                    latest=f"{until.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                )
            except SlackApiError:
                raise
            except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
                raise PostFailed(f"could not reach Slack ({type(error).__name__}).") from error
            messages += [m for m in response.get("messages") or [] if isinstance(m, dict)]
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or cursor is None:
                return messages
        raise CannotLookBack(
            f"more than {len(messages)} messages went into the channel around the attempt"
        )

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
            except (TimeoutError, aiohttp.ClientError) as error:  # not the database's
                raise PostFailed(
                    f"could not reach Slack to refresh the bot token ({type(error).__name__})."
                ) from error
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


def _found(messages: list[dict[str, Any]], delivery: str) -> Found | None:
    """The message marked DELIVERY among MESSAGES, with the chart file that carries its token."""
    message_ts: str | None = None
    for message in messages:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") == EVENT_TYPE and payload.get("delivery") == delivery:
            message_ts = str(message.get("ts") or "")
            break
    if message_ts is None:
        return None
    token = chart_filename(ChartImage(b"", ""), delivery).rsplit("-", 1)[-1]
    for message in messages:
        for file in message.get("files") or []:
            if isinstance(file, dict) and str(file.get("name") or "").endswith(token):
                return Found(message_ts, chart_id=str(file.get("id") or "") or None)
    return Found(message_ts)


def _chart_error(error: SlackApiError, channel_id: str) -> PostFailed:
    """An upload Slack refused: the channel's (ChartRefused), or one to try again later."""
    code = error_code(error)
    if code in _NOT_MEMBER or code in ("missing_scope", "restricted_action", "no_permission"):
        message, here = chart_advice(code, channel_id)
        return ChartRefused(message, here=here)
    return post_error(error, channel_id)


def _history_error(error: SlackApiError) -> BaseException:
    """A history read Slack refused: the install cannot look back (CannotLookBack), or Slack
    asks to wait (PostFailed with its Retry-After)."""
    code = error_code(error)
    if code in _NO_HISTORY or code in _NOT_MEMBER:
        return CannotLookBack(
            f"Slack refused to show the channel's history ({code}): the app needs the "
            "channels:history and groups:history scopes (reinstall it to grant them)"
        )
    return post_error(error, "")


async def _call(channel_id: str, request: Any) -> Any:
    """Await REQUEST (a Web API call); its errors as PostFailed / ChannelUnavailable. A request
    whose answer was lost may have gone in: uncertain."""
    try:
        return await request
    except SlackApiError as error:
        raise post_error(error, channel_id) from error
    except aiohttp.ClientConnectorError as error:  # no connection was made: nothing went in
        raise PostFailed(f"could not reach Slack ({type(error).__name__}).") from error
    except (TimeoutError, SlackClientError, aiohttp.ClientError) as error:
        raise PostFailed(
            f"could not reach Slack ({type(error).__name__}).", uncertain=True
        ) from error
