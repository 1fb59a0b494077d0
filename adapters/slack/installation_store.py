"""Slack installations with their tokens sealed at rest, like Venice keys.

slack-sdk's SQLAlchemy store keeps bot tokens as plain text. This wrapper seals every token
(and an incoming-webhook URL) before the store writes it and opens it after the store reads it,
each bound to its workspace and purpose, so a database dump holds no usable token and a
ciphertext copied into another team's row does not open.
"""

from __future__ import annotations

import logging
from logging import Logger
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logs import register_secret
from bot.secrets import MasterKeyMissing, SecretBox, SecretUnreadable
from bot.store.slack_tables import SEALED_BOT_COLUMNS, SEALED_INSTALLATION_COLUMNS
from bot.store.slack_tokens import open_text, seal_text, slack_owner

logger = logging.getLogger(__name__)


class EncryptedInstallationStore(AsyncInstallationStore):
    """An AsyncInstallationStore over slack-sdk's SQLAlchemy one, sealing tokens with BOX."""

    def __init__(self, inner: AsyncSQLAlchemyInstallationStore, box: SecretBox) -> None:
        self.inner = inner
        self.box = box

    @classmethod
    def on_engine(
        cls, client_id: str, engine: AsyncEngine, box: SecretBox
    ) -> EncryptedInstallationStore:
        """The store of app CLIENT_ID on the bot's database (tables from migration 0002)."""
        return cls(AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine), box)

    @property
    def logger(self) -> Logger:
        return logger

    @property
    def client_id(self) -> str:
        """The Slack app whose installations this store holds."""
        return self.inner.client_id

    # Writing

    async def async_save(self, installation: Installation) -> None:
        """Store INSTALLATION (and its bot) with every token sealed."""
        sealed = Installation(**installation.to_dict_for_copying())
        _seal(self.box, sealed, SEALED_INSTALLATION_COLUMNS)
        await self.inner.async_save(sealed)

    async def async_save_bot(self, bot: Bot) -> None:
        """Store BOT with its tokens sealed."""
        sealed = Bot(**bot.to_dict_for_copying())
        _seal(self.box, sealed, SEALED_BOT_COLUMNS)
        await self.inner.async_save_bot(sealed)

    # Reading

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The team's latest bot with its tokens opened; None when absent or unreadable."""
        bot = await self.inner.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None:
            return None
        return bot if _open(self.box, bot, SEALED_BOT_COLUMNS) else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The team's latest installation with its tokens opened; None when absent or unreadable."""
        installation = await self.inner.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        if installation is None:
            return None
        ok = _open(self.box, installation, SEALED_INSTALLATION_COLUMNS)
        return installation if ok else None

    # Deleting (nothing to open: delegated as is)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the team's bot rows (every bot token)."""
        await self.inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the team's installation rows (one user's, when USER_ID is given)."""
        await self.inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete every installation and bot row of the team."""
        await self.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        await self.async_delete_installation(enterprise_id=enterprise_id, team_id=team_id)


def _seal(box: SecretBox, entity: Any, columns: tuple[str, ...]) -> None:
    owner = slack_owner(entity.team_id, entity.enterprise_id)
    for column in columns:
        value = getattr(entity, column, None)
        if value:
            register_secret(value)
            setattr(entity, column, seal_text(box, value, owner=owner, purpose=column))


def _open(box: SecretBox, entity: Any, columns: tuple[str, ...]) -> bool:
    """Open ENTITY's sealed columns in place; False (logged) when one cannot be opened."""
    owner = slack_owner(entity.team_id, entity.enterprise_id)
    for column in columns:
        value = getattr(entity, column, None)
        if not value:
            continue
        try:
            plaintext = open_text(box, value, owner=owner, purpose=column)
        except (MasterKeyMissing, SecretUnreadable) as error:
            # Treated as not installed: Bolt then asks the user to reinstall the app, which
            # stores fresh tokens. The message names the workspace, never the token.
            logger.error("Slack %s of %s cannot be opened: %s", column, owner, error.message)
            return False
        register_secret(plaintext)
        setattr(entity, column, plaintext)
    return True
