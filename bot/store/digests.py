"""DigestStore: the digest schedules, their leases, and one delivery record per (workspace,
channel, local date), so that any number of processes ticking together post each digest once.

The protocol (see bot/digest/runner.py for the caller):
1. `claim_due(now, owner, lease)` leases the enabled schedules whose `attempt_at <= now` and whose
   lease is free or expired: compare-and-set (`UPDATE ... WHERE lease free`, rowcount checked),
   with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent claimers do not wait.
2. `begin_delivery(claim, local_date, now)` inserts the (workspace, channel, local date) record as
   `posting`; "done" when that date already has a final outcome (posted, skipped, notified,
   missed): the caller then only advances the schedule. A `posting` record left by a process whose
   lease expired is taken over ("go").
3. `finish(...)` records the final outcome and advances the schedule to its next run, releasing
   the lease, in one transaction. `retry_later` keeps the same due run and sets a later attempt.
   `disable` turns a schedule off (the channel cannot be posted to) and says whether it was on.
4. `release(owner)` frees a stopping process's leases at once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Row, and_, delete, false, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.schedule import DigestTime, format_time, next_run
from bot.store.database import Database
from bot.store.rows import ensure_workspace_row
from bot.store.tables import digest_deliveries, digest_schedules
from bot.workspace_id import parse_workspace_id

Outcome = Literal["posted", "skipped", "notified", "missed"]
# Outcomes of a run still in flight: a process that holds the schedule's lease may take it over.
IN_FLIGHT = ("posting", "waiting")


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """One channel's daily digest. `due_at` is the scheduled instant of the next run (UTC);
    `attempt_at` is when to try it (later than `due_at` while Venice is being retried)."""

    workspace_id: str
    channel_id: str
    when: DigestTime
    skip_empty: bool
    enabled: bool
    due_at: datetime
    attempt_at: datetime
    attempts: int
    created_by: str  # Caller.display of who set it (or "cli")
    created_by_id: str | None  # the platform user id to tell when it is disabled (None: CLI)
    updated_at: datetime
    disabled_reason: str | None = None
    last_outcome: str | None = None
    last_run_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A schedule this process holds until `lease_until`."""

    schedule: DigestSchedule
    owner: str
    lease_until: datetime


class DigestStore:
    """Every read and write of digest schedules and deliveries."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def upsert(
        self,
        workspace_id: str,
        channel_id: str,
        when: DigestTime,
        *,
        skip_empty: bool,
        by: str,
        by_id: str | None,
        now: datetime,
    ) -> DigestSchedule:
        """Create or replace CHANNEL_ID's schedule (enabled, next run computed after NOW).
        Creates the workspace row when missing."""
        due = next_run(when, now)
        settings: dict[str, Any] = {
            "local_time": format_time(when.at),
            "time_zone": when.time_zone,
            "weekdays": weekday_mask(when.weekdays),
            "skip_empty": skip_empty,
            "enabled": True,
            "disabled_reason": None,
            "due_at": due,
            "attempt_at": due,
            "attempts": 0,
            "created_by": by[:200],
            "created_by_id": by_id,
            "updated_at": now,
        }
        async with self.database.transaction() as connection:
            workspace = await ensure_workspace_row(connection, workspace_id)
            key = {"workspace_id": workspace.id, "channel_id": channel_id}
            insert = _insert(connection).values(**key, **settings, created_at=now)
            # The lease is left alone: a process posting the old schedule's run keeps it, and
            # its finish sees `updated_at` moved and leaves the new due time be.
            await connection.execute(
                insert.on_conflict_do_update(index_elements=list(key), set_=settings)
            )
            row = (await connection.execute(_select_one(workspace.id, channel_id))).one()
        return schedule_record(row)

    async def get(self, workspace_id: str, channel_id: str) -> DigestSchedule | None:
        """CHANNEL_ID's schedule, or None."""
        query = _select_one(parse_workspace_id(workspace_id), channel_id)
        async with self.database.engine.connect() as connection:
            row = (await connection.execute(query)).one_or_none()
        return None if row is None else schedule_record(row)

    async def list_schedules(self, workspace_id: str | None = None) -> list[DigestSchedule]:
        """Every schedule (of WORKSPACE_ID), ordered by workspace then channel."""
        query = select(digest_schedules).order_by(
            digest_schedules.c.workspace_id, digest_schedules.c.channel_id
        )
        if workspace_id is not None:
            query = query.where(digest_schedules.c.workspace_id == parse_workspace_id(workspace_id))
        async with self.database.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [schedule_record(row) for row in rows]

    async def remove(self, workspace_id: str, channel_id: str | None = None) -> int:
        """Delete CHANNEL_ID's schedule, or every schedule of WORKSPACE_ID; returns how many."""
        statement = delete(digest_schedules).where(
            digest_schedules.c.workspace_id == parse_workspace_id(workspace_id)
        )
        if channel_id is not None:
            statement = statement.where(digest_schedules.c.channel_id == channel_id)
        async with self.database.transaction() as connection:
            result = await connection.execute(statement)
        return result.rowcount

    async def claim_due(
        self,
        now: datetime,
        owner: str,
        *,
        lease: timedelta,
        limit: int = 100,
        platforms: Collection[str] | None = None,
    ) -> list[Claim]:
        """Lease up to LIMIT due schedules for OWNER, oldest attempt first; only workspaces of
        PLATFORMS (`slack`, `discord`) when given: a process claims only what it can post."""
        table = digest_schedules.c
        claimable = and_(
            table.enabled.is_(True),
            table.attempt_at <= now,
            or_(table.lease_until.is_(None), table.lease_until <= now),
        )
        candidates = select(table.workspace_id, table.channel_id).where(claimable)
        if platforms is not None:
            candidates = candidates.where(
                or_(false(), *(table.workspace_id.startswith(f"{name}:") for name in platforms))
            )
        candidates = candidates.order_by(
            table.attempt_at, table.workspace_id, table.channel_id
        ).limit(limit)
        lease_until = now + lease
        claims: list[Claim] = []
        async with self.database.transaction() as connection:
            if connection.dialect.name == "postgresql":
                # Rows another claimer has locked are skipped, not waited for.
                candidates = candidates.with_for_update(skip_locked=True)
            for workspace_id, channel_id in (await connection.execute(candidates)).all():
                # Compare-and-set: another process may have claimed it since the SELECT.
                row = (
                    await connection.execute(
                        update(digest_schedules)
                        .where(_is(workspace_id, channel_id), claimable)
                        .values(lease_owner=owner, lease_until=lease_until)
                        .returning(*digest_schedules.c)
                    )
                ).one_or_none()
                if row is not None:
                    claims.append(Claim(schedule_record(row), owner, lease_until))
        return claims

    async def begin_delivery(
        self, claim: Claim, local_date: date, now: datetime
    ) -> Literal["go", "done"]:
        """Record that CLAIM is posting LOCAL_DATE's digest, unless that date is already done."""
        schedule = claim.schedule
        key = _delivery_key(schedule, local_date)
        async with self.database.transaction() as connection:
            inserted = (
                await connection.execute(
                    _insert(connection, digest_deliveries)
                    .values(**key, outcome="posting", owner=claim.owner, started_at=now, late=False)
                    .on_conflict_do_nothing()
                    .returning(digest_deliveries.c.outcome)
                )
            ).one_or_none()
            if inserted is not None:
                return "go"
            # Taken over only while still in flight: a final outcome is never posted again.
            taken = (
                await connection.execute(
                    update(digest_deliveries)
                    .where(*_delivery_is(key), digest_deliveries.c.outcome.in_(IN_FLIGHT))
                    .values(outcome="posting", owner=claim.owner, started_at=now)
                    .returning(digest_deliveries.c.outcome)
                )
            ).one_or_none()
        return "go" if taken is not None else "done"

    async def finish(
        self,
        claim: Claim,
        local_date: date,
        outcome: Outcome,
        *,
        now: datetime,
        next_due: datetime,
        message_id: str | None = None,
        late: bool = False,
    ) -> None:
        """Record LOCAL_DATE's outcome and move the schedule on to NEXT_DUE, freeing the lease.
        The record is kept even if the lease was lost (a post that happened must count)."""
        schedule = claim.schedule
        record = {"outcome": outcome, "owner": claim.owner, "finished_at": now,
                  "message_id": message_id, "late": late}  # fmt: skip
        async with self.database.transaction() as connection:
            await _write_delivery(connection, schedule, local_date, record, now=now)
            table = digest_schedules.c
            advanced = await connection.execute(
                update(digest_schedules)
                .where(
                    _is(schedule.workspace_id, schedule.channel_id),
                    table.lease_owner == claim.owner,
                    table.due_at < next_due,
                    # Changed meanwhile (`digest on` again): its new due time stands.
                    table.updated_at == schedule.updated_at,
                )
                .values(
                    due_at=next_due,
                    attempt_at=next_due,
                    attempts=0,
                    lease_owner=None,
                    lease_until=None,
                    last_outcome=outcome,
                    last_run_at=now,
                )
            )
            if advanced.rowcount == 0:
                await _free_lease(connection, claim)

    async def retry_later(
        self, claim: Claim, local_date: date, *, attempt_at: datetime, now: datetime
    ) -> None:
        """Keep the same due run; try again at ATTEMPT_AT (attempts + 1), freeing the lease."""
        schedule = claim.schedule
        record = {"outcome": "waiting", "owner": claim.owner}
        async with self.database.transaction() as connection:
            await _write_delivery(connection, schedule, local_date, record, now=now)
            await connection.execute(
                update(digest_schedules)
                .where(
                    _is(schedule.workspace_id, schedule.channel_id),
                    digest_schedules.c.lease_owner == claim.owner,
                )
                .values(
                    attempts=digest_schedules.c.attempts + 1,
                    attempt_at=attempt_at,
                    lease_owner=None,
                    lease_until=None,
                )
            )

    async def disable(self, claim: Claim, reason: str, *, now: datetime) -> bool:
        """Turn the schedule off with REASON; True when it was on (tell the admins then only)."""
        schedule = claim.schedule
        async with self.database.transaction() as connection:
            flipped = await connection.execute(
                update(digest_schedules)
                .where(
                    _is(schedule.workspace_id, schedule.channel_id),
                    digest_schedules.c.enabled.is_(True),
                )
                .values(
                    enabled=False,
                    disabled_reason=reason[:300],
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )
            if flipped.rowcount == 0:
                await _free_lease(connection, claim)
        return flipped.rowcount == 1

    async def release(self, owner: str) -> int:
        """Free every lease OWNER holds (a stopping process); returns how many."""
        async with self.database.transaction() as connection:
            result = await connection.execute(
                update(digest_schedules)
                .where(digest_schedules.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )
        return result.rowcount

    async def delivery_outcome(
        self, workspace_id: str, channel_id: str, local_date: date
    ) -> str | None:
        """The recorded outcome of that date (`posting` while in flight), or None."""
        key = {"workspace_id": parse_workspace_id(workspace_id), "channel_id": channel_id,
               "local_date": local_date}  # fmt: skip
        query = select(digest_deliveries.c.outcome).where(*_delivery_is(key))
        async with self.database.engine.connect() as connection:
            outcome: str | None = await connection.scalar(query)
        return outcome


def weekday_mask(days: frozenset[int]) -> int:
    """DAYS (0 = Monday) as the stored bitmask."""
    return sum(1 << day for day in days)


def weekdays_of(mask: int) -> frozenset[int]:
    """The stored bitmask back to weekday numbers."""
    return frozenset(day for day in range(7) if mask & (1 << day))


def schedule_record(row: Row[Any]) -> DigestSchedule:
    """A digest_schedules row as a DigestSchedule."""
    return DigestSchedule(
        workspace_id=row.workspace_id,
        channel_id=row.channel_id,
        when=DigestTime(parse_local_time(row.local_time), row.time_zone, weekdays_of(row.weekdays)),
        skip_empty=row.skip_empty,
        enabled=row.enabled,
        due_at=row.due_at,
        attempt_at=row.attempt_at,
        attempts=row.attempts,
        created_by=row.created_by,
        created_by_id=row.created_by_id,
        updated_at=row.updated_at,
        disabled_reason=row.disabled_reason,
        last_outcome=row.last_outcome,
        last_run_at=row.last_run_at,
    )


def _insert(connection: AsyncConnection, table: Any = digest_schedules) -> Any:
    # Both dialects' INSERT take the same on_conflict_do_nothing / on_conflict_do_update.
    if connection.dialect.name == "postgresql":
        return postgresql_insert(table)
    return sqlite_insert(table)


def _select_one(workspace_id: str, channel_id: str) -> Any:
    return select(digest_schedules).where(_is(workspace_id, channel_id))


def _is(workspace_id: str, channel_id: str) -> Any:
    return and_(
        digest_schedules.c.workspace_id == workspace_id,
        digest_schedules.c.channel_id == channel_id,
    )


def _delivery_key(schedule: DigestSchedule, local_date: date) -> dict[str, Any]:
    return {"workspace_id": schedule.workspace_id, "channel_id": schedule.channel_id,
            "local_date": local_date}  # fmt: skip


def _delivery_is(key: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(getattr(digest_deliveries.c, name) == value for name, value in key.items())


async def _write_delivery(
    connection: AsyncConnection,
    schedule: DigestSchedule,
    local_date: date,
    record: dict[str, Any],
    *,
    now: datetime,
) -> None:
    """Insert the delivery with RECORD, or update one still in flight (a final outcome stays)."""
    key = _delivery_key(schedule, local_date)
    values = {"started_at": now, "late": False, **key, **record}
    await connection.execute(
        _insert(connection, digest_deliveries)
        .values(values)
        .on_conflict_do_update(
            index_elements=list(key),
            set_=record,
            where=digest_deliveries.c.outcome.in_(IN_FLIGHT),
        )
    )


async def _free_lease(connection: AsyncConnection, claim: Claim) -> None:
    schedule = claim.schedule
    await connection.execute(
        update(digest_schedules)
        .where(
            _is(schedule.workspace_id, schedule.channel_id),
            digest_schedules.c.lease_owner == claim.owner,
        )
        .values(lease_owner=None, lease_until=None)
    )


def parse_local_time(text: str) -> time:
    """The stored `HH:MM` back to a time."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
