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

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal, cast

from bot.cards import Card
from bot.charts import render_chart_async
from bot.commands.base import Caller
from bot.deadline import Deadline
from bot.digest.content import Digest, build_digest
from bot.digest.notices import (
    disabled_reason,
    disabled_text,
    fetch_notice,
    is_retryable,
    key_problem,
    late_note,
)
from bot.errors import BotError, KeyUnreadable, NoVeniceKey, VeniceError
from bot.logs import register_secret
from bot.ports import ChannelUnavailable, Post, Poster, PostFailed
from bot.schedule import DigestTime, latest_run, local_date, next_run, timeliness
from bot.store.digests import Claim, DigestSchedule, DigestStore, Outcome
from bot.store.workspaces import WorkspaceStore
from bot.workspace_context import SourceFor

log = logging.getLogger(__name__)

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
# The time one digest may take to fetch; well inside LEASE, so the lease outlives the work.
BUILD_SECONDS = 30.0
# A claim not started within this many seconds is left alone: the work must end well inside
# LEASE, or another process could take the run over while this one still posts it.
FRESH_CLAIM_SECONDS = (LEASE - timedelta(seconds=BUILD_SECONDS) * 2).total_seconds()
# A platform that asked to wait (429) is tried again no sooner than this.
MIN_POST_WAIT = timedelta(seconds=5)
FINAL = ("posted", "skipped", "notified", "missed")


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

    def add(self, what: str, schedule: DigestSchedule, day: date, note: str = "") -> None:
        """Count WHAT and add its line: `posted slack:T1 #C1 2026-11-30 (late)`."""
        setattr(self, what, getattr(self, what) + 1)
        suffix = f" ({note})" if note else ""
        self.lines.append(f"{what} {schedule.workspace_id} #{schedule.channel_id} {day}{suffix}")


@dataclass(frozen=True, slots=True)
class Run:
    """The run one claim posts: its instant, local date, next run, and whether it is late."""

    claim: Claim
    at: datetime
    day: date
    next_due: datetime
    late: bool


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
        report = TickReport()
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(claim: Claim, claimed: float) -> None:
            async with limit:
                if time.monotonic() - claimed > FRESH_CLAIM_SECONDS:
                    # Its lease may run out mid-post and another process post it too: leave it
                    # to run out instead (a later tick posts it, a little late).
                    log.warning("digest %s #%s: claim too old to start; left for a later tick",
                                claim.schedule.workspace_id, claim.schedule.channel_id)  # fmt: skip
                    return
                await self._guarded(claim, now, report)

        while claims := await self.digests.claim_due(
            now, self.owner, lease=LEASE, limit=CLAIM_BATCH, platforms=tuple(self.posters)
        ):
            # Every claim leaves the due set (moved on, retried later, disabled) or stays leased
            # past NOW, so this loop ends.
            claimed = time.monotonic()
            await asyncio.gather(*(one(claim, claimed) for claim in claims))
        return report

    async def release(self) -> int:
        """Free this process's leases (shutdown)."""
        return await self.digests.release(self.owner)

    async def _guarded(self, claim: Claim, now: datetime, report: TickReport) -> None:
        """One claim; whatever goes wrong is logged and retried later, never the tick's end."""
        schedule = claim.schedule
        try:
            await self._run(claim, now, report)
        except Exception as error:  # one digest must not stop the others
            log.error(
                "digest %s #%s failed (%s); trying again later",
                schedule.workspace_id,
                schedule.channel_id,
                type(error).__name__,
            )
            report.failed += 1
            try:
                run = self._run_of(claim, now)
                if not await self._retry(run, now):
                    await self._give_up(run, now, report, "kept failing")
            except Exception as again:  # the lease runs out and a later tick tries again
                log.error("digest %s: cannot record the failure (%s)",
                          schedule.workspace_id, type(again).__name__)  # fmt: skip

    def _run_of(self, claim: Claim, now: datetime) -> Run:
        when = claim.schedule.when
        due = claim.schedule.due_at
        late = timeliness(due, now) == "late"
        return Run(claim, due, local_date(when, due), next_run(when, now), late)

    async def _run(self, claim: Claim, now: datetime, report: TickReport) -> None:
        schedule = claim.schedule
        when = schedule.when
        run = self._run_of(claim, now)
        if timeliness(run.at, now) == "missed":
            latest = latest_run(when, now)
            if latest is None or latest <= run.at or timeliness(latest, now) == "missed":
                self._log_missed(schedule, run.day, run.at)
                await self.digests.finish(claim, run.day, "missed", now=now, next_due=run.next_due)
                report.add("missed", schedule, run.day)
                return
            # Down for days: the older run is gone, but the latest is still worth posting.
            self._log_missed(schedule, run.day, run.at)
            report.add("missed", schedule, run.day)
            run = Run(
                claim,
                latest,
                local_date(when, latest),
                run.next_due,
                timeliness(latest, now) == "late",
            )
        if await self.digests.begin_delivery(claim, run.day, now) == "done":
            outcome = await self.digests.delivery_outcome(
                schedule.workspace_id, schedule.channel_id, run.day
            )
            final = cast(Outcome, outcome) if outcome in FINAL else "posted"
            await self.digests.finish(claim, run.day, final, now=now, next_due=run.next_due)
            return
        poster = self.posters.get(schedule.workspace_id.partition(":")[0])
        if poster is None:
            log.warning(
                "digest %s #%s: no poster for its platform here; left for another process",
                schedule.workspace_id,
                schedule.channel_id,
            )
            await self.digests.retry_later(
                claim, run.day, attempt_at=now + RETRY_BACKOFF[0], now=now
            )
            report.add("retrying", schedule, run.day, "no poster")
            return
        note = late_note(when, run.at, retried=schedule.attempts > 0) if run.late else None
        try:
            digest = await self._build(schedule.workspace_id, now, note)
        except (VeniceError, NoVeniceKey) as error:
            await self._fetch_failed(run, poster, error, now, report)
            return
        if schedule.skip_empty and digest.empty:
            await self.digests.finish(claim, run.day, "skipped", now=now, next_due=run.next_due)
            report.add("skipped", schedule, run.day, "no usage")
            return
        await self._post(run, poster, digest.card, "posted", now, report)

    async def _build(self, workspace_id: str, now: datetime, note: str | None) -> Digest:
        """The digest of WORKSPACE_ID with its stored key (NoVeniceKey without one)."""
        state = await self.workspaces.command_state(workspace_id)
        if state.unreadable is not None:
            raise KeyUnreadable("This workspace's Venice key can no longer be read.")
        source = None
        if state.key is not None:
            register_secret(state.key)
            source = self.source_for(state.key, workspace_id)
        if source is None:
            raise NoVeniceKey("No Venice key is configured.")
        deadline = Deadline.after(BUILD_SECONDS)
        return await build_digest(source, now=now, deadline=deadline, late_note=note)

    async def _fetch_failed(
        self, run: Run, poster: Poster, error: BotError, now: datetime, report: TickReport
    ) -> None:
        """Venice failing: try again later while the backoff lasts; else one notice."""
        schedule = run.claim.schedule
        asked = timedelta(seconds=getattr(error, "retry_after", None) or 0)
        if is_retryable(error) and await self._retry(run, now, asked):
            report.add("retrying", schedule, run.day, type(error).__name__)
            return
        if (problem := key_problem(error)) is not None:
            await self.workspaces.record_check(schedule.workspace_id, at=now, error=problem)
        log.warning(
            "digest %s #%s %s: could not fetch (%s); posting one notice",
            schedule.workspace_id,
            schedule.channel_id,
            run.day,
            type(error).__name__,
        )
        card = fetch_notice(error, schedule.when, run.next_due)
        await self._post(run, poster, card, "notified", now, report)

    async def _retry(self, run: Run, now: datetime, at_least: timedelta = timedelta()) -> bool:
        """Try RUN again after its backoff (or AT_LEAST); False, doing nothing, past the last."""
        attempts = run.claim.schedule.attempts
        if attempts >= len(RETRY_BACKOFF):
            return False
        wait = max(RETRY_BACKOFF[attempts], at_least)
        await self.digests.retry_later(run.claim, run.day, attempt_at=now + wait, now=now)
        return True

    async def _give_up(self, run: Run, now: datetime, report: TickReport, why: str) -> None:
        """Nothing more can be done for RUN (and nothing can be said): recorded as missed."""
        await self.digests.finish(run.claim, run.day, "missed", now=now, next_due=run.next_due)
        report.add("missed", run.claim.schedule, run.day, why)

    async def _post(
        self,
        run: Run,
        poster: Poster,
        card: Card,
        outcome: Literal["posted", "notified"],
        now: datetime,
        report: TickReport,
    ) -> None:
        """Post CARD (with its chart) and record OUTCOME; the channel's failures handled."""
        claim = run.claim
        schedule = claim.schedule
        chart = await render_chart_async(card.chart) if card.chart is not None else None
        key = f"digest:{schedule.workspace_id}:{schedule.channel_id}:{run.day.isoformat()}"
        try:
            message_id = await poster.post(
                schedule.workspace_id, schedule.channel_id, Post(card, chart, dedupe_key=key)
            )
        except ChannelUnavailable as error:
            await self._disable(run, poster, error, now, report)
            return
        except PostFailed as error:
            log.warning(
                "digest %s #%s: the post failed (%s)",
                schedule.workspace_id,
                schedule.channel_id,
                error.message,
            )
            asked = max(timedelta(seconds=error.retry_after or 0), MIN_POST_WAIT)
            if await self._retry(run, now, asked):
                report.add("retrying", schedule, run.day, "post failed")
            else:
                await self._give_up(run, now, report, "post failed")
            return
        await self.digests.finish(
            claim,
            run.day,
            outcome,
            now=now,
            next_due=run.next_due,
            message_id=message_id[:100] or None,
            late=run.late,
        )
        what = "posted" if outcome == "posted" else "notified"
        report.add(what, schedule, run.day, "late" if run.late else "")
        if run.late and outcome == "posted":
            report.late += 1

    async def _disable(
        self,
        run: Run,
        poster: Poster,
        error: ChannelUnavailable,
        now: datetime,
        report: TickReport,
    ) -> None:
        schedule = run.claim.schedule
        log.warning(
            "digest %s #%s: channel unavailable; schedule disabled",
            schedule.workspace_id,
            schedule.channel_id,
        )
        if await self.digests.disable(run.claim, disabled_reason(error.message), now=now):
            admins = [schedule.created_by_id] if schedule.created_by_id else []
            await poster.tell_admins(
                schedule.workspace_id, admins, disabled_text(schedule.channel_id, error.message)
            )
            report.add("disabled", schedule, run.day)

    def _log_missed(self, schedule: DigestSchedule, day: date, due_at: datetime) -> None:
        log.warning(
            "digest %s #%s %s missed: due at %s UTC, more than 6 hours ago",
            schedule.workspace_id,
            schedule.channel_id,
            day,
            f"{due_at:%Y-%m-%d %H:%M}",
        )

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

    async def post_now(self, workspace_id: str, channel_id: str, now: datetime) -> str:
        """Post the digest into CHANNEL_ID now (no schedule needed, not recorded as a run)."""
        platform = workspace_id.partition(":")[0]
        poster = self.posters.get(platform)
        if poster is None:
            raise PostFailed(f"This process cannot post to {platform}.")
        card = (await self._build(workspace_id, now, None)).card
        chart = await render_chart_async(card.chart) if card.chart is not None else None
        return await poster.post(workspace_id, channel_id, Post(card, chart))
