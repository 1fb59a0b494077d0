"""Who runs a command, as Slack vouches for it: `users.info` says admin or owner, cached briefly."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.command_spec import Caller

log = logging.getLogger(__name__)

# Long enough that a burst of commands costs one users.info call, short enough that a demoted
# admin loses admin commands within a minute.
TTL_SECONDS = 60.0
MAX_ENTRIES = 10_000


class CallerDirectory:
    """`Caller`s by (team, user), from users.info; a failed lookup counts as no admin, uncached."""

    def __init__(
        self,
        *,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[float, Caller]] = OrderedDict()

    async def caller(
        self, client: AsyncWebClient, team_id: str, user_id: str, fallback_name: str = ""
    ) -> Caller:
        """The caller USER_ID of TEAM_ID, admin when Slack says is_admin or is_owner."""
        key = (team_id, user_id)
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        try:
            response = await client.users_info(user=user_id)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            # Without Slack's word nobody is an admin; reading billing still works.
            log.warning("users.info failed for %s (%s); treating as no admin", user_id, error)
            return Caller(user_id, fallback_name, is_admin=False)
        caller = caller_from_user(response.get("user") or {}, user_id, fallback_name)
        self._entries[key] = (now + self._ttl, caller)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return caller

    def forget(self, team_id: str) -> None:
        """Drop every cached caller of TEAM_ID (after an uninstall)."""
        for key in [key for key in self._entries if key[0] == team_id]:
            del self._entries[key]


def caller_from_user(user: dict[str, Any], user_id: str, fallback_name: str = "") -> Caller:
    """A Caller from a users.info `user` object."""
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or fallback_name
    )
    is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
    # Slack's IANA zone of the user (`Europe/Madrid`): the default zone of `digest on`.
    zone = user.get("tz")
    time_zone = zone.strip() if isinstance(zone, str) and zone.strip() else None
    return Caller(user_id, str(name), is_admin=is_admin, time_zone=time_zone)
