"""DigestRunner: posts the digests that are due, once each, however many processes tick.

One tick (`run_due(now)`): claim due schedules (bot/store/digests.py), and for each: work out
which run is due (catch-up: up to 6 hours late it is posted saying so; older runs are skipped and
logged), record the (workspace, channel, local date) delivery, build the digest with the
workspace's key, render its chart off the event loop, post it through the platform's Poster, and
move the schedule on. Venice failing: retried with backoff (the same run, a later attempt) within
the retry window, then one short "could not fetch" notice. A channel the bot cannot post to
disables the schedule and tells the admin who set it, once.

It also serves the `digest` chat command (bot/commands/digest.py) through DigestControl:
schedule, unschedule, list, preview, post now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.cards import Card
from bot.commands.base import Caller
from bot.ports import Poster
from bot.schedule import DigestTime
from bot.store.digests import DigestSchedule, DigestStore
from bot.store.workspaces import WorkspaceStore
from bot.workspace_context import SourceFor

LEASE = timedelta(minutes=3)
# Venice failing: attempts at +1, +2, +4, +8, +16 minutes, then one notice.
RETRY_BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=2),
    timedelta(minutes=4),
    timedelta(minutes=8),
    timedelta(minutes=16),
)
CONCURRENCY = 64  # digests posted at once by one process
CLAIM_BATCH = 200


@dataclass
class TickReport:
    """What one tick did, for logs and `digest run-due`'s summary line."""

    posted: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0
    notified: int = 0
    retrying: int = 0
    disabled: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)  # one per digest, for `run-due` output


class DigestRunner:
    """Posts digests (scheduler, `digest now`) and previews them (`digest preview`)."""

    def __init__(
        self,
        *,
        digests: DigestStore,
        workspaces: WorkspaceStore,
        source_for: SourceFor,
        posters: Mapping[str, Poster],
        owner: str,
    ) -> None:
        self.digests = digests
        self.workspaces = workspaces
        self.source_for = source_for
        self.posters = posters
        self.owner = owner

    async def run_due(self, now: datetime) -> TickReport:
        """Post every digest due at NOW (claimed batch by batch until none is left)."""
        raise NotImplementedError

    async def release(self) -> int:
        """Free this process's leases (shutdown)."""
        return await self.digests.release(self.owner)

    # DigestControl, for the chat command:
    async def schedule(
        self,
        workspace_id: str,
        channel_id: str,
        when: DigestTime,
        *,
        skip_empty: bool,
        by: Caller | None,
        now: datetime,
    ) -> DigestSchedule:
        raise NotImplementedError

    async def unschedule(self, workspace_id: str, channel_id: str) -> bool:
        raise NotImplementedError

    async def schedules(self, workspace_id: str) -> list[DigestSchedule]:
        raise NotImplementedError

    async def preview(self, workspace_id: str, now: datetime) -> Card:
        """The digest as it would be posted now (Card with its chart data), not posted."""
        raise NotImplementedError

    async def post_now(self, workspace_id: str, channel_id: str, now: datetime) -> str:
        """Post the digest into CHANNEL_ID now (no schedule needed, not recorded as a run)."""
        raise NotImplementedError
