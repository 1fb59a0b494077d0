"""DigestRunner: posts the digests that are due, once each, however many processes tick.

One tick (`run_due(now)`): claim due schedules (bot/store/digests.py), and for each: work out
which run is due (catch-up, bot/digest/runs.py: up to 6 hours late it is posted saying so; older
runs are skipped and logged), record the (workspace, channel, local date) delivery, build the
digest with the workspace's key, render its chart off the event loop, post it through the
platform's Poster, and move the schedule on. Venice failing: retried with backoff (the same run,
a later attempt) within the retry window, then one short "could not fetch" notice. A channel the
bot cannot post to disables the schedule and tells the admin who set it, once.

It also serves the `digest` chat command (bot/commands/digest.py) through DigestControl:
schedule, unschedule, list, preview, post now (bot/digest/control.py, which builds digests).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, datetime, timedelta
from typing import Literal, cast

from bot.cards import Card
from bot.digest.control import BUILD_SECONDS, DigestController
from bot.digest.notices import (
    disabled_reason,
    disabled_text,
    fetch_notice,
    is_retryable,
    key_problem,
    late_note,
)
from bot.digest.runs import FINAL, Run, TickReport, instead_of_missed, is_missed, run_of
from bot.errors import BotError, NoVeniceKey, VeniceError
from bot.ports import ChannelUnavailable, Poster, PostFailed
from bot.store.digests import Claim, DigestSchedule, Outcome

__all__ = [
    "BUILD_SECONDS",
    "CLAIM_BATCH",
    "CONCURRENCY",
    "FRESH_CLAIM_SECONDS",
    "LEASE",
    "MIN_POST_WAIT",
    "RETRY_BACKOFF",
    "DigestRunner",
    "TickReport",
]

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
# A claim not started within this many seconds is left alone: the work must end well inside
# LEASE, or another process could take the run over while this one still posts it.
FRESH_CLAIM_SECONDS = (LEASE - timedelta(seconds=BUILD_SECONDS) * 2).total_seconds()
# A platform that asked to wait (429) is tried again no sooner than this.
MIN_POST_WAIT = timedelta(seconds=5)


class DigestRunner(DigestController):
    """Posts digests (scheduler, `digest now`) and previews them (`digest preview`; the chat
    command's side is DigestController)."""

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
                run = run_of(claim, now)
                if not await self._retry(run, now):
                    await self._give_up(run, now, report, "kept failing")
            except Exception as again:  # the lease runs out and a later tick tries again
                log.error("digest %s: cannot record the failure (%s)",
                          schedule.workspace_id, type(again).__name__)  # fmt: skip

    async def _run(self, claim: Claim, now: datetime, report: TickReport) -> None:
        schedule = claim.schedule
        run = run_of(claim, now)
        if is_missed(run, now):
            self._log_missed(schedule, run.day, run.at)
            latest = instead_of_missed(run, now)
            if latest is None:
                await self.digests.finish(claim, run.day, "missed", now=now, next_due=run.next_due)
                report.add("missed", schedule, run.day)
                return
            # Down for days: the older run is gone, but the latest is still worth posting.
            report.add("missed", schedule, run.day)
            run = latest
        if await self.digests.begin_delivery(claim, run.day, now) == "done":
            outcome = await self.digests.delivery_outcome(
                schedule.workspace_id, schedule.channel_id, run.day
            )
            final = cast(Outcome, outcome) if outcome in FINAL else "posted"
            await self.digests.finish(claim, run.day, final, now=now, next_due=run.next_due)
            return
        poster = self._poster(schedule.workspace_id)
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
        note = late_note(schedule.when, run.at, retried=schedule.attempts > 0) if run.late else None
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
        key = f"digest:{schedule.workspace_id}:{schedule.channel_id}:{run.day.isoformat()}"
        try:
            message_id = await self._send(
                poster, schedule.workspace_id, schedule.channel_id, card, key
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
