"""DeliveryStore: one record per scheduled post, and its states (the path: bot/delivery.py).

A delivery's id is (workspace, channel, kind, occurrence): `digest:slack:T1:C1:2026-11-30`. Its
states, each written right after the step it records and never for several posts at once:

    claimed --(about to post)--> sending --(the platform took it)--> sent
       |                            |
       +----------> failed / skipped (nothing posted: the channel refused, nothing to say)

`sending` is written before the post goes out, so a delivery found `sending` may or may not have
been posted (the process died, or the database went away between the post and its record): it
is looked for in the channel before anything is posted again. A chart uploaded on its own
(Slack) has states of its own in `chart`: pending -> sending -> sent, or refused (the channel
will not take it) or failed (it could not be made).

The process that holds the run (its schedule's lease) owns the delivery: `begin` hands an
unfinished delivery over to it. Writes that record a post happened are kept whoever owns it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import Boolean, ColumnElement, Row, String, and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.database import Database
from bot.store.rows import Insert, PerDialect, at, fixed, of_dialect
from bot.store.tables import deliveries
from bot.workspaces import parse_workspace_id

DeliveryState = Literal["claimed", "sending", "sent", "failed", "skipped"]
ChartState = Literal["pending", "sending", "sent", "refused", "failed"]
SETTLED: tuple[DeliveryState, ...] = ("sent", "failed", "skipped")
CHART_OPEN: tuple[ChartState, ...] = ("pending", "sending")

columns = deliveries.c
# More work for the transaction that records a delivery finished (its schedule moves on): the
# two are then never seen apart, and cost one commit.
Then = Callable[[AsyncConnection], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeliveryId:
    """The stable id of one scheduled post: the same for every attempt, in every process."""

    workspace_id: str
    channel_id: str
    kind: str  # "digest" (alerts next)
    occurrence: str  # which one of the kind: a digest's local date, `2026-11-30`

    def __str__(self) -> str:
        return f"{self.kind}:{self.workspace_id}:{self.channel_id}:{self.occurrence}"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery as recorded. `sending_at`: when its last attempt to post began."""

    id: DeliveryId
    state: DeliveryState
    chart: ChartState | None
    outcome: str | None
    owner: str
    claimed_at: datetime
    sending_at: datetime | None
    finished_at: datetime | None
    message_id: str | None
    chart_id: str | None
    late: bool

    @property
    def done(self) -> bool:
        """Nothing is left to post: settled, and its chart (if any) too."""
        return self.state in SETTLED and self.chart not in CHART_OPEN


class DeliveryTaken(Exception):
    """Another process owns the delivery now (its run's lease passed to it): do not post."""


def _is() -> ColumnElement[bool]:
    return and_(
        columns.workspace_id == bindparam("workspace", type_=String()),
        columns.channel_id == bindparam("channel", type_=String()),
        columns.kind == bindparam("what", type_=String()),
        columns.occurrence == bindparam("which", type_=String()),
    )


def _owned() -> ColumnElement[bool]:
    return and_(_is(), columns.owner == bindparam("holder", type_=String()))


def _unfinished() -> ColumnElement[bool]:
    return or_(columns.state.in_(("claimed", "sending")), columns.chart.in_(CHART_OPEN))


def _begin(insert: Insert) -> Any:
    return (
        insert(deliveries)
        .values(
            workspace_id=bindparam("workspace", type_=String()),
            channel_id=bindparam("channel", type_=String()),
            kind=bindparam("what", type_=String()),
            occurrence=bindparam("which", type_=String()),
            state="claimed",
            owner=bindparam("holder", type_=String()),
            claimed_at=at(),
            late=False,
        )
        .on_conflict_do_update(
            index_elements=["workspace_id", "channel_id", "kind", "occurrence"],
            set_={"owner": bindparam("holder", type_=String())},
            where=_unfinished(),
        )
        .returning(*deliveries.c)
    )


BEGIN: PerDialect = {
    "sqlite": fixed(lambda: _begin(sqlite_insert)),
    "postgresql": fixed(lambda: _begin(postgresql_insert)),
}
GET = fixed(lambda: select(deliveries).where(_is()))
SENDING = fixed(
    lambda: (
        update(deliveries)
        .where(_owned(), columns.state.in_(("claimed", "sending")))
        .values(state="sending", sending_at=at("began"))
        .returning(*deliveries.c)
    )
)
UNSENT = fixed(
    lambda: (
        update(deliveries)
        .where(_owned(), columns.state == "sending")
        .values(state="claimed")
        .returning(*deliveries.c)
    )
)
# A post that happened is recorded whoever owns the delivery now.
SENT = fixed(
    lambda: (
        update(deliveries)
        .where(_is(), columns.state.in_(("claimed", "sending")))
        .values(
            state="sent",
            message_id=bindparam("message", type_=String()),
            chart=bindparam("chart_state", type_=String()),
            outcome=bindparam("result", type_=String()),
            late=bindparam("is_late", type_=Boolean()),
            finished_at=at("finished"),
        )
        .returning(*deliveries.c)
    )
)
CHART_SENDING = fixed(
    lambda: (
        update(deliveries)
        .where(_owned(), columns.chart.in_(CHART_OPEN))
        .values(chart="sending", sending_at=at("began"))
        .returning(*deliveries.c)
    )
)
CHART_SETTLED = fixed(
    lambda: (
        update(deliveries)
        .where(_is(), columns.chart.in_(CHART_OPEN))
        .values(
            chart=bindparam("chart_state", type_=String()),
            chart_id=bindparam("file", type_=String()),
            finished_at=at(),
        )
        .returning(*deliveries.c)
    )
)
SETTLE = fixed(
    lambda: (
        update(deliveries)
        .where(_is(), columns.state.in_(("claimed", "sending")))
        .values(
            state=bindparam("final", type_=String()),
            outcome=bindparam("result", type_=String()),
            finished_at=at(),
        )
        .returning(*deliveries.c)
    )
)


class DeliveryStore:
    """Every read and write of delivery records."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def begin(self, delivery: DeliveryId, owner: str, *, now: datetime) -> Delivery:
        """The record of DELIVERY, created `claimed` for OWNER, or handed over to OWNER while it
        is unfinished (OWNER holds its run now); a finished one as it is."""
        async with self.database.transaction() as connection:
            return await begin_in(connection, delivery, owner, now=now)

    async def get(self, delivery: DeliveryId) -> Delivery | None:
        """DELIVERY's record, or None."""
        async with self.database.engine.connect() as connection:
            row = (await connection.execute(GET, _params(delivery))).one_or_none()
        return None if row is None else _record(row)

    async def sending(self, delivery: Delivery, *, began: datetime) -> Delivery:
        """Record that the post is about to go out (BEGAN: this process's clock).
        DeliveryTaken when another process owns the delivery now."""
        params = _params(delivery.id, delivery.owner)
        params["began"] = began
        return await self._owned_write(SENDING, params)

    async def unsent(self, delivery: Delivery) -> Delivery:
        """The platform refused the post outright: nothing went out, back to `claimed`."""
        return await self._owned_write(UNSENT, _params(delivery.id, delivery.owner))

    async def sent(
        self,
        delivery: Delivery,
        message_id: str,
        *,
        chart: ChartState | None,
        outcome: str,
        late: bool,
        now: datetime,
        then: Then | None = None,
    ) -> Delivery:
        """Record the post (MESSAGE_ID) and what is left of its CHART; finished when none is
        (THEN runs in the same transaction only then)."""
        params = _params(delivery.id, delivery.owner)
        finished = chart not in CHART_OPEN
        params.update(message=message_id[:100] or None, chart_state=chart, result=outcome,
                      is_late=late, finished=now if finished else None)  # fmt: skip
        return await self._write(SENT, params, delivery, then if finished else None)

    async def chart_sending(self, delivery: Delivery, *, began: datetime) -> Delivery:
        """Record that the chart's upload is about to begin (BEGAN: this process's clock; the
        chart is looked for from then)."""
        params = _params(delivery.id, delivery.owner)
        params["began"] = began
        return await self._owned_write(CHART_SENDING, params)

    async def chart_settled(
        self,
        delivery: Delivery,
        chart: ChartState,
        *,
        file_id: str | None,
        now: datetime,
        then: Then | None = None,
    ) -> Delivery:
        """Record the chart's end: `sent` (FILE_ID), `refused`, `failed`, or `pending` (not
        uploaded: try again); THEN in the same transaction when that finishes the delivery."""
        params = _params(delivery.id, delivery.owner)
        finished = chart not in CHART_OPEN
        params.update(chart_state=chart, file=(file_id or "")[:100] or None,
                      at=now if finished else None)  # fmt: skip
        return await self._write(CHART_SETTLED, params, delivery, then if finished else None)

    async def settle(
        self,
        delivery: Delivery,
        state: Literal["failed", "skipped"],
        *,
        outcome: str,
        now: datetime,
        then: Then | None = None,
    ) -> Delivery:
        """Record that nothing will be posted (STATE), with the kind's OUTCOME word; THEN in the
        same transaction."""
        params = _params(delivery.id, delivery.owner)
        params.update(final=state, result=outcome, at=now)
        return await self._write(SETTLE, params, delivery, then)

    async def _owned_write(self, statement: Any, params: dict[str, Any]) -> Delivery:
        async with self.database.transaction() as connection:
            row = (await connection.execute(statement, params)).one_or_none()
        if row is None:
            raise DeliveryTaken(params["which"])
        return _record(row)

    async def _write(
        self, statement: Any, params: dict[str, Any], before: Delivery, then: Then | None = None
    ) -> Delivery:
        async with self.database.transaction() as connection:
            row = (await connection.execute(statement, params)).one_or_none()
            if row is None:  # already past that step (another process recorded it): as it is
                row = (await connection.execute(GET, params)).one_or_none()
            if then is not None:
                await then(connection)
        return before if row is None else _record(row)


async def begin_in(
    connection: AsyncConnection, delivery: DeliveryId, owner: str, *, now: datetime
) -> Delivery:
    """`DeliveryStore.begin` within CONNECTION's transaction (the claim of its run: one commit
    for a batch of claims)."""
    params = _params(delivery, owner)
    params["at"] = now
    row = (await connection.execute(of_dialect(connection, BEGIN), params)).one_or_none()
    if row is None:  # finished: left as it is
        row = (await connection.execute(GET, params)).one()
    return _record(row)


def _params(delivery: DeliveryId, owner: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "workspace": parse_workspace_id(delivery.workspace_id),
        "channel": delivery.channel_id,
        "what": delivery.kind,
        "which": delivery.occurrence,
    }
    if owner is not None:
        params["holder"] = owner
    return params


def _record(row: Row[Any]) -> Delivery:
    return Delivery(
        id=DeliveryId(row.workspace_id, row.channel_id, row.kind, row.occurrence),
        state=cast(DeliveryState, row.state),
        chart=cast(ChartState | None, row.chart),
        outcome=row.outcome,
        owner=row.owner,
        claimed_at=row.claimed_at,
        sending_at=row.sending_at,
        finished_at=row.finished_at,
        message_id=row.message_id,
        chart_id=row.chart_id,
        late=row.late,
    )
