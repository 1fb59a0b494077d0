"""The Slack app: a slack-bolt AsyncApp with every listener of the bot, in either mode.

Single-workspace mode with SLACK_BOT_TOKEN; multi-workspace mode (OAuth install, tokens sealed
in the bot's database) with SLACK_CLIENT_ID / SLACK_CLIENT_SECRET.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import actions, commands, confirm, connect_modal, home
from adapters.slack.bolt_errors import handle_bolt_errors
from adapters.slack.client import make_client
from adapters.slack.deps import SlackDeps
from bot.logs import register_secret
from bot.runtime import Runtime
from bot.settings import Settings
from bot.startup import OpenedStore

APP_NAME = "venice-bot"
# Listeners run inline and the ack leaves when they return. Bolt's default runs each listener as
# a task and polls for its ack every 10 ms, which costs every reply up to 10 ms. Work that may
# outlast the ack (a respond() later, views.publish) goes to SlackDeps.spawn instead.
INLINE_LISTENERS = True


class _TokenInClientFilter(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN (which it reads itself) is unused when a client is given:
    our client carries that very token, so the warning would only confuse an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_TOKEN_FILTER = _TokenInClientFilter()


async def build_slack_app(
    settings: Settings, runtime: Runtime, opened: OpenedStore, *, deps: SlackDeps | None = None
) -> AsyncApp:
    """The AsyncApp for SETTINGS' mode, with /venice, its buttons, the connect modal and Home."""
    signing_secret = ""
    if settings.slack_signing_secret is not None:
        signing_secret = settings.slack_signing_secret.get_secret_value()
        register_secret(signing_secret)
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_TOKEN_FILTER)
    if settings.slack_client_id is not None:
        app = await _multi_workspace_app(settings, opened, signing_secret)
    else:
        if settings.slack_bot_token is None:
            raise ValueError("the Slack app needs SLACK_BOT_TOKEN or SLACK_CLIENT_ID")
        token = settings.slack_bot_token.get_secret_value()
        with _bolt_blind_to_oauth_variables():
            app = AsyncApp(
                name=APP_NAME,
                signing_secret=signing_secret,
                client=make_client(settings, token),
                process_before_response=INLINE_LISTENERS,
                # Verified at the front door (adapters/slack/front_door.py), before any parsing;
                # Socket Mode has no signatures.
                request_verification_enabled=False,
                raise_error_for_unhandled_request=True,
            )
    add_listeners(app, deps or SlackDeps(runtime))
    handle_bolt_errors(app)
    return app


@contextlib.contextmanager
def _bolt_blind_to_oauth_variables() -> Iterator[None]:
    """Hide blank SLACK_CLIENT_ID / SLACK_CLIENT_SECRET while Bolt builds a single-workspace app:
    Bolt turns the OAuth install on when both merely exist, even empty (an `.env` listing them),
    and then answers every command with "please reinstall". Set ones mean multi-workspace mode
    and never reach here."""
    hidden = {
        name: os.environ.pop(name)
        for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
        if name in os.environ and not os.environ[name].strip()
    }
    try:
        yield
    finally:
        os.environ.update(hidden)


async def _multi_workspace_app(
    settings: Settings, opened: OpenedStore, signing_secret: str
) -> AsyncApp:
    # Imported here: single-workspace mode needs no installation store.
    from adapters.slack.oauth import oauth_settings, register_uninstall_listeners

    if settings.slack_client_secret is not None:
        register_secret(settings.slack_client_secret)
    app = AsyncApp(
        name=APP_NAME,
        signing_secret=signing_secret,
        oauth_settings=await oauth_settings(settings, opened),
        client=make_client(settings),
        process_before_response=INLINE_LISTENERS,
        request_verification_enabled=False,  # verified at the front door
        raise_error_for_unhandled_request=True,
    )
    register_uninstall_listeners(app, opened)
    return app


def add_listeners(app: AsyncApp, deps: SlackDeps) -> None:
    """Every listener of the bot on APP."""

    async def after_connect(client: AsyncWebClient, team_id: str, user_id: str) -> None:
        await home.refresh(client, deps, team_id, user_id)

    commands.register(app, deps)
    actions.register(app, deps)
    confirm.register(app, deps)
    connect_modal.register(app, deps, after_connect)
    home.register(app, deps)
