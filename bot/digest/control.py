"""DigestController: what the `digest` chat command may do (DigestControl, bot/command_spec.py)
through bot/digest/runner.py's DigestRunner: schedule, unschedule, list, preview, post now; and
building one workspace's digest with its stored key, which the scheduled runs share."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime
from typing import TypeVar

from bot.cards import Card
from bot.charts import render_chart_async
from bot.command_spec import Caller
from bot.deadline import Deadline
from bot.delivery import DeliveryPath, post_unrecorded
from bot.digest.content import Digest, build_digest
from bot.errors import NoVeniceKey
from bot.ports import Post, Poster, PostFailed, PostReport
from bot.schedule import DigestTime
from bot.store.deliveries import DeliveryStore
from bot.store.digests import DigestSchedule, DigestStore
from bot.store.workspaces import WorkspaceStore
from bot.workspaces import SourceFor, workspace_source

# The time one digest may take to fetch; well inside the runner's LEASE, so the lease outlives
# the work.
BUILD_SECONDS = 30.0
T = TypeVar("T")


class DigestController:
    """Schedules and previews digests, posts one now; DigestRunner adds the scheduled runs."""

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
        self.path = DeliveryPath(DeliveryStore(digests.database), owner)
        self._stopped_short = False  # the last tick stopped when the database went away

    async def _build(self, workspace_id: str, now: datetime, note: str | None) -> Digest:
        """The digest of WORKSPACE_ID with its stored key (NoVeniceKey without one)."""
        state = await self._stored(self.workspaces.command_state(workspace_id))
        source = workspace_source(state, workspace_id, self.source_for)
        if source is None:
            raise NoVeniceKey("No Venice key is configured.")
        deadline = Deadline.after(BUILD_SECONDS)
        return await build_digest(source, now=now, deadline=deadline, late_note=note)

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
        """Set CHANNEL_ID's daily digest (replacing any), on from now."""
        return await self.digests.upsert(
            workspace_id,
            channel_id,
            when,
            skip_empty=skip_empty,
            by=by.display if by is not None else "cli",
            by_id=by.user_id if by is not None else None,
            now=now,
        )

    async def unschedule(self, workspace_id: str, channel_id: str) -> bool:
        """Remove CHANNEL_ID's daily digest; False when it had none."""
        return await self.digests.remove(workspace_id, channel_id) > 0

    async def schedules(self, workspace_id: str) -> list[DigestSchedule]:
        """Every daily digest of WORKSPACE_ID."""
        return await self.digests.list_schedules(workspace_id)

    async def preview(self, workspace_id: str, now: datetime) -> Card:
        """The digest as it would be posted now (Card with its chart data), not posted."""
        return (await self._build(workspace_id, now, None)).card

    async def post_now(self, workspace_id: str, channel_id: str, now: datetime) -> PostReport:
        """Post the digest into CHANNEL_ID now (no schedule needed, not recorded as a run): what
        went in (the message, its chart)."""
        poster = self._poster(workspace_id)
        if poster is None:
            platform = workspace_id.partition(":")[0]
            raise PostFailed(f"This process cannot post to {platform}.")
        card = (await self._build(workspace_id, now, None)).card
        chart = await render_chart_async(card.chart) if card.chart is not None else None
        return await post_unrecorded(poster, workspace_id, channel_id, Post(card, chart))

    async def _stored(self, read: Awaitable[T]) -> T:
        """A read or write of the store (DigestRunner: its failure stops the run)."""
        return await read

    def _poster(self, workspace_id: str) -> Poster | None:
        """The poster of WORKSPACE_ID's platform (`slack:T0123` → slack), if this process has it."""
        return self.posters.get(workspace_id.partition(":")[0])
