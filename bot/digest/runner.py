"""DigestRunner: posts the digests that are due, once each, however many processes tick and
whatever crashes.

One tick (`run_due(now)`): claim due schedules (bot/store/digests.py) as fast as this process
can start them, and for each: work out which run is due (catch-up, bot/digest/runs.py: up to 6
hours late it is posted saying so; older runs are skipped and logged), begin its delivery
(workspace, channel, "digest", local date), build the digest with the workspace's key, render
its chart off the event loop, deliver it through the one delivery path (bot/delivery.py: the
message and its chart recorded step by step, a post that may have happened looked for before it
is made again), and move the schedule on.

- Venice failing: retried with backoff (the same run, a later attempt) within the retry window,
  then one short "could not fetch" notice.
- A channel the bot cannot post to disables the schedule and tells the admin who set it, once;
  a channel that refuses only the chart tells them once what to do, and the digest still counts.
- The database gone: the first failed write stops the tick from claiming and posting (the
  delivery path stops). What was on its way is reconciled by the next process to take it.

It also serves the `digest` chat command (bot/commands/digest.py) through DigestControl:
schedule, unschedule, list, preview, post now (bot/digest/control.py, which builds digests).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Literal, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.charts import render_chart_async
from bot.delivery import POST_SECONDS, Delivered, DeliveryTaken, StoreDown
from bot.digest.control import BUILD_SECONDS, DigestController
from bot.digest.notices import (
    chart_problem_text,
    disabled_reason,
    disabled_text,
    fetch_notice,
    is_retryable,
    key_problem,
    late_note,
)
from bot.digest.runs import Run, TickReport, instead_of_missed, is_missed, run_of
from bot.errors import BotError, NoVeniceKey, VeniceError
from bot.ports import ChannelUnavailable, Post, Poster, PostFailed
from bot.schedule import local_date
from bot.store.database import STORE_ERRORS
from bot.store.deliveries import Delivery, DeliveryId
from bot.store.digests import Claim, DigestSchedule, DigestStore, Outcome

__all__ = [
    "BUILD_SECONDS",
    "CONCURRENCY",
    "LEASE",
    "MIN_POST_WAIT",
    "POST_SECONDS",
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
# Claims are taken only as work can start, in batches of at least this many (fewer round trips
# to the database): a process that dies holds no more than it was working on.
CLAIM_AT_LEAST = 16
# A platform that asked to wait (429) is tried again no sooner than this.
MIN_POST_WAIT = timedelta(seconds=5)
# The work on one claim (build, message, chart) must end well inside its lease, or another
# process could take the run over while this one still posts it. A post begins only while at
# least this much of the lease is left.
LEASE_LEFT_TO_POST = timedelta(seconds=2 * POST_SECONDS + 10)
assert timedelta(seconds=BUILD_SECONDS) + LEASE_LEFT_TO_POST < LEASE  # noqa: S101
T = TypeVar("T")


class TickClock:
    """The instant of a tick as it goes on: its `now` (`run-due --now`, or the scheduler's clock
    at the tick's start) plus the time spent since. Leases and retry times are counted from it,
    so a claim made minutes into a long tick still gets its whole lease."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._began = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._began)


class DigestRunner(DigestController):
    """Posts digests (scheduler, `digest now`) and previews them (`digest preview`; the chat
    command's side is DigestController)."""

    concurrency = CONCURRENCY

    async def run_due(self, now: datetime) -> TickReport:
        """Post every digest due at NOW, claimed as this process can start them, until none is
        left or the database stops answering (`report.interrupted` then says why)."""
        report = TickReport()
        tick = TickClock(now)
        self.path.resume()
        working: set[asyncio.Task[None]] = set()
        try:
            if self._stopped_short:
                # The last tick stopped when the database went away, holding leases: no task
                # of ours works on them now, so they are free to claim again.
                await self._stored(self.digests.release(self.owner))
                self._stopped_short = False
            while self.path.stopped is None:
                room = self.concurrency - len(working)
                if working and room < min(CLAIM_AT_LEAST, self.concurrency):
                    _, working = await asyncio.wait(working, return_when=asyncio.FIRST_COMPLETED)
                    continue
                claims = await self._stored(
                    self.digests.claim_due(
                        tick.now(),
                        self.owner,
                        lease=LEASE,
                        limit=room,
                        platforms=tuple(self.posters),
                        begin=_due_delivery,
                    )
                )
                if not claims:
                    break
                # Every claim leaves the due set (moved on, retried later, disabled) or stays
                # leased past NOW, so this loop ends.
                working |= {asyncio.create_task(self._guarded(c, tick, report)) for c in claims}
        except StoreDown:
            pass
        finally:
            if working:
                await asyncio.gather(*working)
        report.interrupted = self.path.stopped
        self._stopped_short = report.interrupted is not None
        return report

    async def release(self) -> int:
        """Free this process's leases (shutdown)."""
        return await self.digests.release(self.owner)

    async def _stored(self, read: Awaitable[T]) -> T:
        """A read or write of the store; its failure stops the run (StoreDown)."""
        try:
            return await read
        except STORE_ERRORS as error:
            raise self.path.halt(error) from None

    async def _guarded(self, claim: Claim, tick: TickClock, report: TickReport) -> None:
        """One claim; whatever goes wrong is logged and retried later, never the tick's end."""
        schedule = claim.schedule
        try:
            await self._run(claim, tick, report)
        except StoreDown:
            report.add("stopped", schedule, run_of(claim, tick.now()).day, "the database stopped")
        except DeliveryTaken:
            log.warning("digest %s #%s: another process took it over",
                        schedule.workspace_id, schedule.channel_id)  # fmt: skip
        except Exception as error:  # one digest must not stop the others
            log.error(
                "digest %s #%s failed (%s); trying again later",
                schedule.workspace_id,
                schedule.channel_id,
                type(error).__name__,
            )
            report.failed += 1
            if self.path.stopped is not None:
                return
            try:
                run = run_of(claim, tick.now())
                if not await self._retry(run, tick.now()):
                    await self._give_up(run, None, None, tick.now(), report, "kept failing")
            except StoreDown:
                pass
            except Exception as again:  # the lease runs out and a later tick tries again
                log.error("digest %s: cannot record the failure (%s)",
                          schedule.workspace_id, type(again).__name__)  # fmt: skip

    async def _run(self, claim: Claim, tick: TickClock, report: TickReport) -> None:
        schedule = claim.schedule
        now = tick.now()
        run = run_of(claim, now)
        poster = self._poster(schedule.workspace_id)
        if poster is None:
            log.warning(
                "digest %s #%s: no poster for its platform here; left for another process",
                schedule.workspace_id,
                schedule.channel_id,
            )
            await self._stored(self.digests.retry_later(claim, attempt_at=now + RETRY_BACKOFF[0]))
            report.add("retrying", schedule, run.day, "no poster")
            return
        if is_missed(run, now):
            self._log_missed(schedule, run.day, run.at)
            latest = instead_of_missed(run, now)
            missed = await self._begun(claim, run, now)
            if latest is None:
                await self._settle(run, missed, poster, "skipped", "missed", now)
            elif not missed.done:
                await self.path.settle_unless_posted(missed, poster, "skipped", outcome="missed",
                                                     now=now)  # fmt: skip
            report.add("missed", schedule, run.day)
            if latest is None:
                return
            run = latest  # down for days: the older run is gone, the latest still worth posting
        delivery = await self._begun(claim, run, now)
        if delivery.done:
            await self._finish(run, _final(delivery), now)
            return
        note = late_note(schedule.when, run.at, retried=schedule.attempts > 0) if run.late else None
        try:
            digest = await self._build(schedule.workspace_id, now, note)
        except (VeniceError, NoVeniceKey) as error:
            await self._fetch_failed(run, delivery, poster, error, tick, report)
            return
        if schedule.skip_empty and digest.empty and delivery.state == "claimed":
            await self._settle(run, delivery, poster, "skipped", "skipped", tick.now())
            report.add("skipped", schedule, run.day, "no usage")
            return
        card = digest.card
        chart = await render_chart_async(card.chart) if card.chart is not None else None
        await self._deliver(run, delivery, poster, Post(card, chart), "posted", tick, report)

    async def _begun(self, claim: Claim, run: Run, now: datetime) -> Delivery:
        """RUN's delivery: begun with the claim, or now (a later run, after a missed one)."""
        if claim.delivery is not None and claim.delivery.id == _delivery_of(run):
            return claim.delivery
        return await self.path.begin(_delivery_of(run), now)

    async def _fetch_failed(
        self,
        run: Run,
        delivery: Delivery,
        poster: Poster,
        error: BotError,
        tick: TickClock,
        report: TickReport,
    ) -> None:
        """Venice failing: try again later while the backoff lasts; else one notice (unless the
        digest itself went out and only its chart is missing: then it stays without one)."""
        schedule = run.claim.schedule
        asked = timedelta(seconds=getattr(error, "retry_after", None) or 0)
        if is_retryable(error) and await self._retry(run, tick.now(), asked):
            report.add("retrying", schedule, run.day, type(error).__name__)
            return
        if delivery.state == "sent":
            await self._give_up(
                run, delivery, poster, tick.now(), report, "its chart could not be fetched"
            )
            return
        if (problem := key_problem(error)) is not None:
            await self._stored(
                self.workspaces.record_check(schedule.workspace_id, at=tick.now(), error=problem)
            )
        log.warning(
            "digest %s #%s %s: could not fetch (%s); posting one notice",
            schedule.workspace_id,
            schedule.channel_id,
            run.day,
            type(error).__name__,
        )
        card = fetch_notice(error, schedule.when, run.next_due)
        await self._deliver(run, delivery, poster, Post(card), "notified", tick, report)

    async def _deliver(
        self,
        run: Run,
        delivery: Delivery,
        poster: Poster,
        post: Post,
        outcome: Literal["posted", "notified"],
        tick: TickClock,
        report: TickReport,
    ) -> None:
        """Deliver POST and record OUTCOME; the channel's failures handled."""
        schedule = run.claim.schedule
        now = tick.now()
        if run.claim.lease_until - now < LEASE_LEFT_TO_POST:
            # Another process may take the run over before this post ends: let the lease run
            # out instead, and the run is posted (once) by whoever claims it next.
            log.warning("digest %s #%s: its lease is nearly over; left for the next claim",
                        schedule.workspace_id, schedule.channel_id)  # fmt: skip
            report.add("retrying", schedule, run.day, "lease nearly over")
            return
        finish = _Finish(self.digests, run, outcome, now)
        last_try = schedule.attempts >= len(RETRY_BACKOFF)
        try:
            done = await self.path.deliver(
                delivery, poster, post, outcome=outcome, late=run.late, now=now, then=finish,
                last_try=last_try,
            )  # fmt: skip
        except ChannelUnavailable as error:
            await self._disable(run, delivery, poster, error, tick.now(), report)
            return
        except PostFailed as error:
            log.warning(
                "digest %s #%s: the post failed (%s)",
                schedule.workspace_id,
                schedule.channel_id,
                error.message,
            )
            asked = max(timedelta(seconds=error.retry_after or 0), MIN_POST_WAIT)
            if await self._retry(run, tick.now(), asked):
                report.add("retrying", schedule, run.day, "post failed")
            else:
                await self._give_up(run, None, poster, tick.now(), report, "post failed")
            return
        if not finish.ran:  # found finished by another process meanwhile
            await self._finish(run, outcome, tick.now())
        await self._chart_outcome(schedule, done, poster)
        what = "posted" if outcome == "posted" else "notified"
        notes = [note for note in ("late" if run.late else "", _how(done)) if note]
        report.add(what, schedule, run.day, ", ".join(notes))
        if run.late and outcome == "posted":
            report.late += 1
        if done.found:
            report.recovered += 1

    async def _chart_outcome(
        self, schedule: DigestSchedule, done: Delivered, poster: Poster
    ) -> None:
        """Tell the admin who set the schedule, once, that the channel refused the chart; forget
        it when a chart goes in again."""
        if done.chart == "refused":
            here = done.chart_problem_here or "the channel refused it."
            if await self._stored(self.digests.note_chart_problem(schedule, here)):
                admins = [schedule.created_by_id] if schedule.created_by_id else []
                text = chart_problem_text(schedule.channel_id, done.chart_problem or "")
                await poster.tell_admins(schedule.workspace_id, admins, text)
        elif done.chart == "sent" and schedule.chart_problem is not None:
            await self._stored(self.digests.note_chart_problem(schedule, None))

    async def _retry(self, run: Run, now: datetime, at_least: timedelta = timedelta()) -> bool:
        """Try RUN again after its backoff (or AT_LEAST); False, doing nothing, past the last."""
        attempts = run.claim.schedule.attempts
        if attempts >= len(RETRY_BACKOFF):
            return False
        wait = max(RETRY_BACKOFF[attempts], at_least)
        await self._stored(self.digests.retry_later(run.claim, attempt_at=now + wait))
        return True

    async def _give_up(
        self,
        run: Run,
        delivery: Delivery | None,
        poster: Poster | None,
        now: datetime,
        report: TickReport,
        why: str,
    ) -> None:
        """Nothing more can be done for RUN (and nothing can be said): a digest already posted
        stays posted without its chart; otherwise the run is recorded as missed, unless it is
        found posted after all."""
        record = delivery or await self.path.begin(_delivery_of(run), now)
        if record.state == "sent":
            finish = _Finish(self.digests, run, _final(record), now)
            await self.path.give_up_chart(record, now=now, then=finish)
            if not finish.ran:
                await self._finish(run, _final(record), now)
            report.add("posted", run.claim.schedule, run.day, f"no chart: {why}")
            return
        record = await self._settle(run, record, poster, "failed", "missed", now)
        outcome = _final(record)
        report.add(outcome, run.claim.schedule, run.day, why if outcome == "missed" else "")

    async def _settle(
        self,
        run: Run,
        record: Delivery,
        poster: Poster | None,
        state: Literal["failed", "skipped"],
        outcome: Outcome,
        now: datetime,
    ) -> Delivery:
        """Record that RUN posts nothing (STATE, OUTCOME) and move its schedule on; a delivery
        that may have been posted is looked for first (found: it counts as posted)."""
        finish = _Finish(self.digests, run, outcome, now)
        if not record.done:
            if poster is not None:
                record = await self.path.settle_unless_posted(
                    record, poster, state, outcome=outcome, now=now, then=finish
                )
            else:
                record = await self.path.settle(record, state, outcome=outcome, now=now,
                                                then=finish)  # fmt: skip
        if not finish.ran:
            await self._finish(run, _final(record), now)
        return record

    async def _finish(self, run: Run, outcome: Outcome, now: datetime) -> None:
        await self._stored(self.digests.finish(run.claim, outcome, now=now, next_due=run.next_due))

    async def _disable(
        self,
        run: Run,
        delivery: Delivery,
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
        current = await self.path.begin(delivery.id, now)
        if not current.done:
            await self.path.settle(current, "failed", outcome="missed", now=now)
        reason = disabled_reason(error.message)
        if await self._stored(self.digests.disable(run.claim, reason, now=now)):
            admins = [schedule.created_by_id] if schedule.created_by_id else []
            await poster.tell_admins(
                schedule.workspace_id, admins, disabled_text(schedule.channel_id, error.message)
            )
            report.add("disabled", schedule, run.day)

    def _log_missed(self, schedule: DigestSchedule, day: object, due_at: datetime) -> None:
        log.warning(
            "digest %s #%s %s missed: due at %s UTC, more than 6 hours ago",
            schedule.workspace_id,
            schedule.channel_id,
            day,
            f"{due_at:%Y-%m-%d %H:%M}",
        )


class _Finish:
    """Moves RUN's schedule on with OUTCOME inside the transaction that records its delivery
    finished (bot/store/deliveries.py's `Then`): one commit, and never one without the other.
    `ran` says whether it did."""

    def __init__(self, digests: DigestStore, run: Run, outcome: Outcome, now: datetime) -> None:
        self.digests = digests
        self.run = run
        self.outcome = outcome
        self.now = now
        self.ran = False

    async def __call__(self, connection: AsyncConnection) -> None:
        run = self.run
        await self.digests.finish_in(
            connection, run.claim, self.outcome, now=self.now, next_due=run.next_due
        )
        self.ran = True


def _due_delivery(schedule: DigestSchedule) -> DeliveryId:
    """The delivery of SCHEDULE's due run (begun with its claim)."""
    day = local_date(schedule.when, schedule.due_at)
    return DeliveryId(schedule.workspace_id, schedule.channel_id, "digest", day.isoformat())


def _delivery_of(run: Run) -> DeliveryId:
    """The delivery of RUN: its channel's digest of its local date."""
    schedule = run.claim.schedule
    return DeliveryId(schedule.workspace_id, schedule.channel_id, "digest", run.day.isoformat())


def _final(delivery: Delivery) -> Outcome:
    """The outcome a finished delivery recorded (`posted` for one recorded before outcomes)."""
    outcome = delivery.outcome
    if outcome in ("posted", "skipped", "notified", "missed"):
        return cast(Outcome, outcome)
    return "posted" if delivery.state == "sent" else "missed"


def _how(done: Delivered) -> str:
    """What the report line adds about the post: found already posted, the chart's end."""
    parts = ["found already posted"] if done.found else []
    if done.chart == "refused":
        parts.append("chart refused")
    return ", ".join(parts)
