"""Slack installations with their tokens sealed at rest, like Venice keys.

slack-sdk's SQLAlchemy store keeps bot tokens as plain text. This wrapper seals every token
(and an incoming-webhook URL) before the store writes it and opens it after the store reads it,
each bound to its workspace and purpose, so a database dump holds no usable token and a
ciphertext copied into another team's row does not open.

While the database does not answer, each lookup gets what this process last read for it (as
commands get their workspace's last state: STORE_OUTAGE_SECONDS from that read), so installed
workspaces keep working; one it has not read gets StoreUnavailable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from logging import Logger
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.sealed_tokens import open_text, seal_text, slack_owner
from adapters.slack.tables import SEALED_BOT_COLUMNS, SEALED_INSTALLATION_COLUMNS
from bot.errors import StoreUnavailable
from bot.logs import register_secret
from bot.secrets import MasterKeyMissing, SecretBox, SecretUnreadable
from bot.store.database import unreachable, unreachable_reason
from bot.store.workspaces import STORE_OUTAGE_SECONDS
from bot.throttled_log import ThrottledWarnings

logger = logging.getLogger(__name__)
T = TypeVar("T")


class EncryptedInstallationStore(AsyncInstallationStore):
    """An AsyncInstallationStore over slack-sdk's SQLAlchemy one, sealing tokens with BOX."""

    def __init__(self, inner: AsyncSQLAlchemyInstallationStore, box: SecretBox) -> None:
        self.inner = inner
        self.box = box
        self.outage_seconds = STORE_OUTAGE_SECONDS
        # (what was looked up) -> (monotonic time of the read, what it found)
        self._last_read: dict[tuple[Any, ...], tuple[float, Any]] = {}
        self._warnings = ThrottledWarnings(logger)

    async def _read(self, lookup: tuple[Any, ...], read: Callable[[], Awaitable[T]]) -> T:
        """READ's result, kept as LOOKUP's last read; while the database does not answer, the
        last read (up to `outage_seconds` old), else StoreUnavailable."""
        now = time.monotonic()
        try:
            found = await read()
        except Exception as error:
            if not unreachable(error):
                raise
            cause = unreachable_reason(error)
            kept = self._last_read.get(lookup)
            if kept is not None and now - kept[0] <= self.outage_seconds:
                self._warnings.warn(
                    "outage",
                    f"the database does not answer ({cause}); Slack installations come from "
                    "this process's last read of each",
                )
                result: T = kept[1]
                return result
            raise StoreUnavailable(writing=False, cause=cause) from None
        self._last_read[lookup] = (now, found)
        return found

    def _forget(self, team_id: str | None, enterprise_id: str | None) -> None:
        """Drop the last reads of one team (its installation changed or went)."""
        for lookup in [k for k in self._last_read if k[1:3] == (enterprise_id, team_id)]:
            del self._last_read[lookup]

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
        self._forget(installation.team_id, installation.enterprise_id)
        await self.inner.async_save(sealed)

    async def async_save_bot(self, bot: Bot) -> None:
        """Store BOT with its tokens sealed."""
        sealed = Bot(**bot.to_dict_for_copying())
        _seal(self.box, sealed, SEALED_BOT_COLUMNS)
        self._forget(bot.team_id, bot.enterprise_id)
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

        async def read() -> Bot | None:
            bot = await self.inner.async_find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
            if bot is None:
                return None
            return bot if _open(self.box, bot, SEALED_BOT_COLUMNS) else None

        return await self._read(("bot", enterprise_id, team_id, is_enterprise_install), read)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The team's latest installation with its tokens opened; None when absent or unreadable."""

        async def read() -> Installation | None:
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

        lookup = ("installation", enterprise_id, team_id, user_id, is_enterprise_install)
        return await self._read(lookup, read)

    # Deleting (nothing to open: delegated as is)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Delete the team's bot rows (every bot token)."""
        self._forget(team_id, enterprise_id)
        await self.inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Delete the team's installation rows (one user's, when USER_ID is given)."""
        self._forget(team_id, enterprise_id)
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
