"""Slack token rotation under a per-team lock: a refresh token works once, so one refresh at a
time per team, across every process (a Redis lock when REDIS_URL is set).

Bolt refreshes tokens only when it authorizes an incoming request; the digest scheduler posts
on its own and calls `refresh_bot_token` first. Both go through `LockedTokenRotator`, which
re-reads the stored tokens once it holds the lock: a caller that waited finds them already
refreshed and uses them, instead of spending the used refresh token a second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from time import time
from typing import Protocol
from weakref import WeakKeyDictionary

from pydantic import SecretStr
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.installation_store import EncryptedInstallationStore
from adapters.slack.sealed_tokens import slack_owner
from bot.cache.backends import LeaseLock, RedisBackend
from bot.errors import BotError
from bot.settings import Settings

logger = logging.getLogger(__name__)

# Refresh when a token has less than this left. Slack's rotating tokens live 12 hours.
ROTATION_MINUTES = 120
# How long a refresh may hold a team's lock (an oauth.v2.access call, then two row writes).
LOCK_LEASE = 60.0
LOCK_POLL = 0.05  # how often a process waiting for a team's lock tries it again
# Each Redis call of the lock: generous, as refreshes are rare and must not fail on a slow
# Redis; a dead one still fails the refresh within seconds.
REDIS_TIMEOUT = 5.0
LOCK_PREFIX = "venice-bot:slack-token-rotation:"


class TokenRotationBusy(BotError):
    """Another process held the team's rotation lock for longer than a refresh takes."""

    def __init__(self, owner: str) -> None:
        self.message = f"The Slack tokens of {owner} are being refreshed elsewhere; try again."
        super().__init__(self.message)


class TeamLocks(Protocol):
    """One lock per team (`slack:T0123`)."""

    def hold(self, owner: str) -> AbstractAsyncContextManager[None]:
        """Hold OWNER's lock for the `async with` block."""
        ...


class LocalTeamLocks:
    """asyncio locks: enough for one process (the embedded SQLite set-up)."""

    def __init__(self) -> None:
        # Per event loop: an asyncio.Lock belongs to the loop it first waited in.
        self._locks: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
            WeakKeyDictionary()
        )

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        """Hold OWNER's lock in this process."""
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        async with locks.setdefault(owner, asyncio.Lock()):
            yield


# One set per process, so Bolt's refreshes and the scheduler's exclude each other.
PROCESS_LOCKS = LocalTeamLocks()


class RedisTeamLocks:
    """Redis locks with a lease, shared by every process on the same Redis: the bot's one lock
    across processes (bot.cache.LeaseLock), as the cache's fetch turns take it."""

    def __init__(
        self,
        url: str | SecretStr,
        *,
        prefix: str = LOCK_PREFIX,
        lease: float = LOCK_LEASE,
        timeout: float = REDIS_TIMEOUT,
        local: LocalTeamLocks = PROCESS_LOCKS,
    ) -> None:
        self._url = url if isinstance(url, SecretStr) else SecretStr(url)
        self._prefix = prefix
        self._lease = lease
        self._timeout = timeout
        self._local = local  # this process's callers queue here, not on Redis

    @asynccontextmanager
    async def hold(self, owner: str) -> AsyncIterator[None]:
        """Hold OWNER's lock across processes (TokenRotationBusy when it stays taken)."""
        # A connection per refresh: refreshes are rare (hours apart per team), and nothing
        # then has to be closed at shutdown.
        async with self._local.hold(owner):
            redis = RedisBackend.from_url(self._url, timeout=self._timeout)
            try:
                lock = LeaseLock(redis, self._prefix + owner, lease=self._lease)
                if not await lock.take_within(self._lease, pause=LOCK_POLL):
                    raise TokenRotationBusy(owner)
                try:
                    yield
                finally:
                    if not await lock.release():
                        logger.warning(
                            "the Slack token rotation lock of %s outlived its lease", owner
                        )
            finally:
                await redis.aclose()


def team_locks(settings: Settings) -> TeamLocks:
    """Redis locks when REDIS_URL is set (several processes), else in-process ones."""
    if settings.redis_url is not None:
        return RedisTeamLocks(settings.redis_url)
    return PROCESS_LOCKS


def _expiring(expires_at: int | None, minutes: int) -> bool:
    return expires_at is not None and expires_at <= time() + minutes * 60


class LockedTokenRotator(AsyncTokenRotator):
    """AsyncTokenRotator that refreshes under the team's lock and saves before releasing it."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        client: AsyncWebClient,
        store: EncryptedInstallationStore,
        locks: TeamLocks,
    ) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, client=client)
        # The refresh calls themselves; a plain rotator so ours are never re-entered.
        self._plain = AsyncTokenRotator(
            client_id=client_id, client_secret=client_secret, client=client
        )
        self.store = store
        self.locks = locks

    def _team_lock(self, owner: Installation | Bot) -> AbstractAsyncContextManager[None]:
        """The lock of OWNER's team (or enterprise): one refresh of its tokens at a time."""
        return self.locks.hold(slack_owner(owner.team_id, owner.enterprise_id))

    async def perform_token_rotation(
        self, *, installation: Installation, minutes_before_expiration: int = ROTATION_MINUTES
    ) -> Installation | None:
        """The installation with fresh tokens (stored), or None when none was due."""
        minutes = minutes_before_expiration
        if not (
            _expiring(installation.bot_token_expires_at, minutes)
            or _expiring(installation.user_token_expires_at, minutes)
        ):
            return None
        async with self._team_lock(installation):
            current = await self.store.async_find_installation(
                enterprise_id=installation.enterprise_id,
                team_id=installation.team_id,
                user_id=installation.user_id,
                is_enterprise_install=installation.is_enterprise_install,
            )
            if current is None:
                return None  # uninstalled meanwhile
            rotated = await self._plain.perform_token_rotation(
                installation=current, minutes_before_expiration=minutes
            )
            if rotated is None:
                # Refreshed by whoever held the lock before us: use what they stored.
                changed = (current.bot_token, current.user_token) != (
                    installation.bot_token,
                    installation.user_token,
                )
                return current if changed else None
            await self.store.async_save(rotated)
            return rotated

    async def perform_bot_token_rotation(
        self, *, bot: Bot, minutes_before_expiration: int = ROTATION_MINUTES
    ) -> Bot | None:
        """The bot with a fresh token (stored), or None when none was due."""
        if not _expiring(bot.bot_token_expires_at, minutes_before_expiration):
            return None
        async with self._team_lock(bot):
            current = await self.store.async_find_bot(
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                is_enterprise_install=bot.is_enterprise_install,
            )
            if current is None:
                return None
            if current.bot_token != bot.bot_token:
                return current  # refreshed by whoever held the lock before us
            rotated = await self._plain.perform_bot_token_rotation(
                bot=current, minutes_before_expiration=minutes_before_expiration
            )
            if rotated is None:
                return None
            await self._save_bot(rotated, replaced=current.bot_token)
            return rotated

    async def _save_bot(self, bot: Bot, *, replaced: str | None) -> None:
        await self.store.async_save_bot(bot)
        # The installation row keeps a copy of the bot token: keep it in step, or a later
        # authorize through it would spend the used refresh token.
        installation = await self.store.async_find_installation(
            enterprise_id=bot.enterprise_id,
            team_id=bot.team_id,
            is_enterprise_install=bot.is_enterprise_install,
        )
        if installation is not None and installation.bot_token == replaced:
            installation.bot_token = bot.bot_token
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
            await self.store.async_save(installation)


async def refresh_bot_token(
    store: EncryptedInstallationStore,
    rotator: LockedTokenRotator,
    *,
    team_id: str | None,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    minutes_before_expiration: int = ROTATION_MINUTES,
) -> str | None:
    """The team's bot token, refreshed first when it expires soon; None when not installed.

    For work that is not a Slack request (the digest scheduler): Bolt refreshes on requests.
    """
    bot = await store.async_find_bot(
        enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
    )
    if bot is None:
        return None
    refreshed = await rotator.perform_bot_token_rotation(
        bot=bot, minutes_before_expiration=minutes_before_expiration
    )
    return (refreshed or bot).bot_token
