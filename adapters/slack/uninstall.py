"""Uninstall and token revocation: the workspace's Slack tokens, Venice key and digest schedules
are removed. Idempotent: Slack may deliver an event twice, and a second run finds nothing."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from adapters.slack.sealed_tokens import slack_owner
from bot.startup import OpenedStore
from bot.store.digests import DigestStore

logger = logging.getLogger(__name__)

UNINSTALLED_BY = "slack:app_uninstalled"
REVOKED_BY = "slack:tokens_revoked"


async def remove_digest_schedules(opened: OpenedStore, workspace_id: str) -> int:
    """Delete WORKSPACE_ID's digest schedules; returns how many there were."""
    return await DigestStore(opened.database).remove(workspace_id)


async def forget_workspace(
    opened: OpenedStore,
    installations: AsyncInstallationStore | None,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    is_enterprise_install: bool = False,
    by: str,
) -> str:
    """Delete the team's installations and bots (every token), its Venice key and schedules;
    the workspace id (`slack:T0123`) it removed them from."""
    if is_enterprise_install:
        team_id = None  # an org-wide install is stored under the enterprise alone
    workspace_id = slack_owner(team_id, enterprise_id)
    if installations is not None:
        await installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
    # Schedules first: a digest never runs for a workspace whose key is already gone.
    removed_digests = await remove_digest_schedules(opened, workspace_id)
    removed_key = await opened.store.remove_credential(workspace_id, by=by)
    logger.info(
        "%s: removed the Slack tokens%s%s of %s",
        by,
        " and the Venice key" if removed_key else "",
        f", {removed_digests} digest schedule(s)" if removed_digests else "",
        workspace_id,
    )
    return workspace_id


def register_uninstall_listeners(app: AsyncApp, opened: OpenedStore) -> None:
    """On `app_uninstalled`, or `tokens_revoked` naming the bot, forget the workspace; a
    revoked user token alone removes only that user's installation rows."""

    async def forget(context: AsyncBoltContext, by: str) -> None:
        await forget_workspace(
            opened,
            app.installation_store,
            team_id=context.team_id,
            enterprise_id=context.enterprise_id,
            is_enterprise_install=bool(context.is_enterprise_install),
            by=by,
        )

    @app.event("app_uninstalled")
    async def on_app_uninstalled(context: AsyncBoltContext) -> None:
        await forget(context, UNINSTALLED_BY)

    @app.event("tokens_revoked")
    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await forget(context, REVOKED_BY)
            return
        store = app.installation_store
        for user_id in tokens.get("oauth") or []:
            if store is not None:
                await store.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=user_id
                )
