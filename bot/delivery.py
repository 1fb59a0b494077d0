"""The one path every scheduled post takes (digests now, alerts next): posted once, whatever
crashes, with its chart, and never while the database cannot record it.

A delivery (bot/store/deliveries.py) is recorded step by step, one post at a time:

1. `sending` is written before the message goes out. If that write fails, nothing is posted.
2. The message goes out marked with the delivery's id (Slack message metadata, Discord's nonce
   and the embed's link), then `sent` is written with the platform's message id.
3. A chart that is an upload of its own (Slack) is written `sending`, uploaded, then `sent`, or
   `refused` when the channel will not take it (the admin is told what to do, once).

**Reconcile before re-posting.** A delivery found `sending` may have been posted: its process
died, or the database went away, between the post and its record. It is looked for in the
channel (`Poster.find`, from when the attempt began) before anything is posted again; found, it
is recorded `sent` and only its chart is completed. Only when the platform cannot say (a Slack
install without the history scopes) is it posted again: a post is never lost, and the log says
why it may be twice.

**Stop when the database is gone.** The first write that fails stops the path for the rest of
the run: no other delivery starts posting. Only posts already on their way can then be
uncertain, and they are reconciled by whichever process takes them next.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from bot.errors import BotError
from bot.ports import CannotLookBack, ChartRefused, Found, Post, Poster, PostFailed, PostReport
from bot.store.database import STORE_ERRORS, DatabaseUnavailable
from bot.store.deliveries import (
    CHART_OPEN,
    ChartState,
    Delivery,
    DeliveryId,
    DeliveryStore,
    DeliveryTaken,
    Then,
)

__all__ = [
    "LOOK_BACK_MARGIN",
    "POST_SECONDS",
    "STORE_ERRORS",
    "ChartOutcome",
    "Delivered",
    "DeliveryPath",
    "DeliveryTaken",
    "StoreDown",
    "post_unrecorded",
]

log = logging.getLogger(__name__)

# A post is looked for from this long before its attempt began until this long after it must
# have ended: the platform's clock and ours may differ by that much. A short window keeps the
# look back to a page or two of a busy channel's history.
LOOK_BACK_MARGIN = timedelta(minutes=2)
# One platform call (the message, the chart, a look back) may take this long; a post that takes
# longer counts as uncertain: it is looked for before it is made again.
POST_SECONDS = 45.0

Clock = Callable[[], datetime]
ChartOutcome = Literal["sent", "refused", "failed"]
T = TypeVar("T")


class StoreDown(BotError):
    """The database could not record a step of a delivery: the run stops posting."""

    def __init__(self, reason: str) -> None:
        self.message = f"The database could not be written ({reason}); posting stopped."
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class Delivered:
    """What `deliver` did: the record as it now stands; whether this call posted the message;
    whether it found the message already posted (a crash or the database in between); the
    chart's end (None: no chart), and what the platform said when it refused the chart: for the
    admins (`chart_problem`) and for a reply in that channel (`chart_problem_here`)."""

    delivery: Delivery
    posted: bool
    found: bool = False
    chart: ChartOutcome | None = None
    chart_problem: str | None = None
    chart_problem_here: str | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeliveryPath:
    """Delivers posts for one process (OWNER) through its DeliveryStore. One `run` at a time:
    `resume()` at its start clears the stop a failed write left."""

    def __init__(
        self,
        store: DeliveryStore,
        owner: str,
        *,
        clock: Clock = utc_now,
        post_seconds: float = POST_SECONDS,
    ) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock
        self.post_seconds = post_seconds  # a platform call that takes longer counts as uncertain
        self.stopped: str | None = None  # why the path stopped (a failed write), or None
        self._stopped_before = False  # the last run stopped too: the outage was said already

    def resume(self) -> None:
        """A new run: try the database again."""
        self._stopped_before = self._stopped_before or self.stopped is not None
        self.stopped = None

    async def begin(self, delivery: DeliveryId, now: datetime) -> Delivery:
        """DELIVERY's record, created or handed over to this process (bot/store/deliveries.py)."""
        self._check()
        return await self._written(self.store.begin(delivery, self.owner, now=now))

    async def settle(
        self,
        delivery: Delivery,
        state: Literal["failed", "skipped"],
        *,
        outcome: str,
        now: datetime,
        then: Then | None = None,
    ) -> Delivery:
        """Record that DELIVERY will post nothing (skipped, or failed) with the kind's OUTCOME;
        THEN in the same transaction."""
        return await self._written(
            self.store.settle(delivery, state, outcome=outcome, now=now, then=then)
        )

    async def settle_unless_posted(
        self,
        delivery: Delivery,
        poster: Poster,
        state: Literal["failed", "skipped"],
        *,
        outcome: str,
        now: datetime,
        then: Then | None = None,
    ) -> Delivery:
        """`settle`, unless DELIVERY may have been posted (`sending`) and is found in the channel:
        then it is recorded as posted (`posted`), its chart as it stands. THEN in the
        transaction that finishes it either way."""
        if delivery.state == "sending":
            found = await self._find(poster, delivery, last_try=True)
            if found is not None:
                chart: ChartState | None = None
                if not found.chart_attached:
                    chart = "sent" if found.chart_id is not None else "failed"
                return await self._written(
                    self.store.sent(
                        delivery,
                        found.message_id,
                        chart=chart,
                        outcome="posted",
                        late=delivery.late,
                        now=now,
                        then=then,
                    )
                )
        return await self.settle(delivery, state, outcome=outcome, now=now, then=then)

    async def deliver(
        self,
        delivery: Delivery,
        poster: Poster,
        post: Post,
        *,
        outcome: str,
        late: bool,
        now: datetime,
        then: Then | None = None,
        last_try: bool = False,
    ) -> Delivered:
        """Post POST as DELIVERY (message, then chart), reconciling first what may be posted.
        THEN runs in the transaction that records the delivery finished (not when it already
        was, nor when it is left unfinished: the caller sees `delivery.done`). LAST_TRY: no
        attempt comes after this one, so a look back that fails counts as one that cannot say
        (the post is made: never lost).

        Raises StoreDown (nothing more is posted this run), DeliveryTaken (another process owns
        it now), PostFailed / ChannelUnavailable for the message; a chart that failed for now
        raises PostFailed after the message is recorded (the next attempt completes the chart).
        """
        record = delivery
        posted = found_it = False
        if record.state in ("claimed", "sending"):
            if record.state == "sending":
                found = await self._find(poster, record, last_try=last_try)
                if found is not None:
                    log.info("%s: found already posted; not posting it again", record.id)
                    record = await self._record_found(record, post, found, outcome, late, now, then)
                    found_it = True
            if record.state in ("claimed", "sending"):
                record = await self._post_message(record, poster, post, outcome, late, now, then)
                posted = True
        if record.chart not in CHART_OPEN:
            ended: ChartOutcome | None = None if post.chart is None else "sent"
            if record.chart == "refused" or record.chart == "failed":
                ended = record.chart
            return Delivered(record, posted, found_it, ended)
        if record.chart == "sending" and not posted:
            found = await self._find(poster, record, last_try=last_try)
            if found is not None and found.chart_id is not None:
                record = await self._written(
                    self.store.chart_settled(
                        record, "sent", file_id=found.chart_id, now=now, then=then
                    )
                )
                return Delivered(record, posted, True, "sent")
        done = await self._post_chart(record, poster, post, posted, now, then)
        return replace(done, found=found_it)

    async def _post_message(
        self,
        record: Delivery,
        poster: Poster,
        post: Post,
        outcome: str,
        late: bool,
        now: datetime,
        then: Then | None,
    ) -> Delivery:
        workspace, channel = record.id.workspace_id, record.id.channel_id
        self._check()
        record = await self._written(self.store.sending(record, began=self.clock()))
        self._check()
        try:
            message = await _bounded(
                poster.post(workspace, channel, _marked(post, record)), self.post_seconds
            )
        except PostFailed as error:
            if not error.uncertain:  # nothing went out: no need to look for it next time
                await self._written(self.store.unsent(record))
            raise
        chart: ChartState | None = None
        if post.chart is not None and not message.chart_attached:
            chart = "sending"  # uploaded next, at once
        return await self._written(
            self.store.sent(
                record,
                message.message_id,
                chart=chart,
                outcome=outcome,
                late=late,
                now=now,
                then=then,
            )
        )

    async def _post_chart(
        self,
        record: Delivery,
        poster: Poster,
        post: Post,
        posted: bool,
        now: datetime,
        then: Then | None,
    ) -> Delivered:
        workspace, channel = record.id.workspace_id, record.id.channel_id
        if post.chart is None:  # nothing to upload this time: the message stands alone
            record = await self._written(
                self.store.chart_settled(record, "sent", file_id=None, now=now, then=then)
            )
            return Delivered(record, posted)
        if record.chart == "pending":
            self._check()
            record = await self._written(self.store.chart_sending(record, began=self.clock()))
        self._check()
        try:
            file_id = await _bounded(
                poster.post_chart(
                    workspace, channel, _marked(post, record), message_id=record.message_id or ""
                ),
                self.post_seconds,
            )
        except ChartRefused as refused:
            record = await self._written(
                self.store.chart_settled(record, "refused", file_id=None, now=now, then=then)
            )
            return Delivered(
                record,
                posted,
                chart="refused",
                chart_problem=refused.message,
                chart_problem_here=refused.here or refused.message,
            )
        except PostFailed as error:
            if not error.uncertain:
                await self._written(
                    self.store.chart_settled(record, "pending", file_id=None, now=now)
                )
            raise
        record = await self._written(
            self.store.chart_settled(record, "sent", file_id=file_id, now=now, then=then)
        )
        return Delivered(record, posted, chart="sent")

    async def _record_found(
        self,
        record: Delivery,
        post: Post,
        found: Found,
        outcome: str,
        late: bool,
        now: datetime,
        then: Then | None,
    ) -> Delivery:
        chart: ChartState | None = None
        if post.chart is not None and not found.chart_attached:
            # Found beside it: recorded as uploaded next. Not found: it never started (a chart
            # is uploaded only once its message is recorded).
            chart = "sending" if found.chart_id is not None else "pending"
        record = await self._written(
            self.store.sent(
                record,
                found.message_id,
                chart=chart,
                outcome=outcome,
                late=late,
                now=now,
                then=then,
            )
        )
        if chart == "sending":
            record = await self._written(
                self.store.chart_settled(record, "sent", file_id=found.chart_id, now=now, then=then)
            )
        return record

    async def _find(self, poster: Poster, record: Delivery, *, last_try: bool) -> Found | None:
        """The post of RECORD if the platform has it; None when it has not, or cannot say (then
        it is posted again: never lost, and the log says why it may be there twice). A look
        back that fails for now (PostFailed) is raised, to be tried again, unless LAST_TRY."""
        began = record.sending_at or record.claimed_at
        try:
            return await _bounded(
                poster.find(
                    record.id.workspace_id,
                    record.id.channel_id,
                    str(record.id),
                    since=began - LOOK_BACK_MARGIN,
                    # A post ends within post_seconds of its start, or counts as uncertain.
                    until=began + timedelta(seconds=self.post_seconds) + LOOK_BACK_MARGIN,
                ),
                self.post_seconds,
            )
        except CannotLookBack as blind:
            log.warning(
                "%s may have been posted already, and %s; posting it again", record.id, blind
            )
            return None
        except PostFailed as failed:
            if not last_try:
                raise
            log.warning(
                "%s may have been posted already, and looking for it failed on the last try "
                "(%s); posting it again",
                record.id,
                failed.message,
            )
            return None

    async def give_up_chart(
        self, delivery: Delivery, *, now: datetime, then: Then | None = None
    ) -> Delivery:
        """Record that DELIVERY's chart will not be posted (it could not be made); THEN in the
        same transaction."""
        if delivery.chart not in CHART_OPEN:
            return delivery
        return await self._written(
            self.store.chart_settled(delivery, "failed", file_id=None, now=now, then=then)
        )

    def halt(self, error: BaseException) -> StoreDown:
        """Stop the path for this run because the database failed (ERROR); said once per
        outage, however many runs it lasts."""
        if self.stopped is None:
            self.stopped = _reason(error)
            if not self._stopped_before:
                log.error("deliveries: the database failed (%s); posting stops until it answers",
                          self.stopped)  # fmt: skip
        return StoreDown(self.stopped)

    def _check(self) -> None:
        if self.stopped is not None:
            raise StoreDown(self.stopped)

    async def _written(self, write: Awaitable[T]) -> T:
        """WRITE's result; the first failure stops the path (StoreDown)."""
        try:
            done = await write
        except DeliveryTaken:
            raise
        except STORE_ERRORS as error:
            raise self.halt(error) from None
        if self._stopped_before:
            self._stopped_before = False
            log.info("deliveries: the database answers again; posting goes on")
        return done


async def post_unrecorded(
    poster: Poster, workspace_id: str, channel_id: str, post: Post
) -> PostReport:
    """A one-off post (`digest now`), not recorded: what went in. PostFailed when the message
    did not."""
    message = await _bounded(poster.post(workspace_id, channel_id, post), POST_SECONDS)
    if post.chart is None:
        return PostReport(message.message_id)
    if message.chart_attached:
        return PostReport(message.message_id, "sent")
    try:
        await _bounded(
            poster.post_chart(workspace_id, channel_id, post, message_id=message.message_id),
            POST_SECONDS,
        )
    except ChartRefused as refused:  # said in that very channel
        return PostReport(message.message_id, "refused", refused.here or refused.message)
    except PostFailed as error:
        return PostReport(message.message_id, "failed", error.message)
    return PostReport(message.message_id, "sent")


async def _bounded(call: Awaitable[T], seconds: float) -> T:
    """CALL within SECONDS; past them, an uncertain PostFailed (it may have gone through)."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        raise PostFailed(
            f"the platform did not answer within {seconds:g} s.", uncertain=True
        ) from None


def _marked(post: Post, record: Delivery) -> Post:
    return replace(post, delivery=str(record.id))


def _reason(error: BaseException) -> str:
    """A few words on a failed write: the driver's own first line, never a statement."""
    if isinstance(error, DatabaseUnavailable):
        return error.message
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    # SQLAlchemy's asyncpg adapter prefixes the driver's class: `<class '...'>: connection ...`
    first = re.sub(r"^<class '[^']*'>:\s*", "", lines[0])[:160] if lines else ""
    name = type(cause).__name__
    return f"{name}: {first}" if first else name
