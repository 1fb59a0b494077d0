"""DigestStore: the digest schedules and their leases, so that any number of processes ticking
together work on each due run once; each run's post is a delivery (bot/store/deliveries.py,
one record per (workspace, channel, "digest", local date)).

The protocol (see bot/digest/runner.py for the caller):
1. `claim_due(now, owner, lease)` leases the enabled schedules whose `attempt_at <= now` and whose
   lease is free or expired: compare-and-set (`UPDATE ... WHERE lease free`, rowcount checked),
   with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent claimers do not wait.
2. The runner delivers the run (bot/delivery.py); a delivery already done is not posted again.
3. `finish(...)` advances the schedule to its next run with the run's outcome, releasing the
   lease. `retry_later` keeps the same due run and sets a later attempt. `disable` turns a
   schedule off (the channel cannot be posted to) and says whether it was on.
4. `release(owner)` frees a stopping process's leases at once.

In this module: the records it hands out (DigestSchedule, Claim, Outcome) and how a row maps to
one (the weekday bitmask, the stored `HH:MM` local time); its statements, built once each
(`fixed`, bot/store/rows.py); the store. Statement parameters: `workspace`, `channel`: the
schedule; `holder`: the lease owner; `at`: now.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Row,
    String,
    and_,
    bindparam,
    delete,
    false,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.schedule import DigestTime, format_time, next_run
from bot.store.database import Database
from bot.store.deliveries import Delivery, DeliveryId, begin_in
from bot.store.rows import Insert, PerDialect, at, ensure_workspace_row, fixed, of_dialect
from bot.store.tables import digest_schedules
from bot.workspaces import parse_workspace_id

Outcome = Literal["posted", "skipped", "notified", "missed"]


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
    chart_problem: str | None = None  # why the channel refused the chart, and what to do there


@dataclass(frozen=True, slots=True)
class Claim:
    """A schedule this process holds until `lease_until`, and the delivery of its due run when
    the claim began it (`DigestStore.claim_due`'s BEGIN)."""

    schedule: DigestSchedule
    owner: str
    lease_until: datetime
    delivery: Delivery | None = None


def weekday_mask(days: frozenset[int]) -> int:
    """DAYS (0 = Monday) as the stored bitmask."""
    return sum(1 << day for day in days)


def weekdays_of(mask: int) -> frozenset[int]:
    """The stored bitmask back to weekday numbers."""
    return frozenset(day for day in range(7) if mask & (1 << day))


def parse_local_time(text: str) -> time:
    """The stored `HH:MM` back to a time."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


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
        chart_problem=row.chart_problem,
    )


# The statements, each built once (`fixed`, bot/store/rows.py).
schedules = digest_schedules.c


def schedule_is() -> ColumnElement[bool]:
    """The schedule of parameters `workspace`, `channel`."""
    return and_(
        schedules.workspace_id == bindparam("workspace", type_=String()),
        schedules.channel_id == bindparam("channel", type_=String()),
    )


def claimable() -> ColumnElement[bool]:
    """Enabled, due at `at`, and its lease free or expired."""
    return and_(
        schedules.enabled.is_(True),
        schedules.attempt_at <= at(),
        or_(schedules.lease_until.is_(None), schedules.lease_until <= at()),
    )


def holds_lease() -> ColumnElement[bool]:
    """The schedule of `workspace`, `channel` while `holder` holds its lease."""
    return and_(schedule_is(), schedules.lease_owner == bindparam("holder", type_=String()))


# The columns a schedule's upsert sets, each from parameter `new_<column>`.
SETTINGS = (
    "local_time", "time_zone", "weekdays", "skip_empty", "enabled", "disabled_reason",
    "due_at", "attempt_at", "attempts", "created_by", "created_by_id", "updated_at",
)  # fmt: skip


def _upsert_schedule(insert: Insert) -> Any:
    # The lease is left alone: a process posting the old schedule's run keeps it, and its
    # finish sees `updated_at` moved and leaves the new due time be.
    values = {name: bindparam(f"new_{name}", type_=schedules[name].type) for name in SETTINGS}
    return (
        insert(digest_schedules)
        .values(
            workspace_id=bindparam("workspace", type_=String()),
            channel_id=bindparam("channel", type_=String()),
            created_at=at(),
            **values,
        )
        .on_conflict_do_update(index_elements=["workspace_id", "channel_id"], set_=values)
        .returning(*digest_schedules.c)
    )


UPSERT_SCHEDULE: PerDialect = {
    "sqlite": fixed(lambda: _upsert_schedule(sqlite_insert)),
    "postgresql": fixed(lambda: _upsert_schedule(postgresql_insert)),
}
SELECT_SCHEDULE = fixed(lambda: select(digest_schedules).where(schedule_is()))
# Compare-and-set: the lease is taken only if still claimable (`lease_end`: its new end).
CLAIM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), claimable())
        .values(lease_owner=bindparam("holder", type_=String()), lease_until=at("lease_end"))
        .returning(*digest_schedules.c)
    )
)
# To `next_due`, unless the lease was lost, or the schedule changed (`digest on` again: its new
# due time stands) since `seen_update`.
ADVANCE = fixed(
    lambda: (
        update(digest_schedules)
        .where(
            holds_lease(),
            schedules.due_at < at("next_due"),
            schedules.updated_at == at("seen_update"),
        )
        .values(
            due_at=at("next_due"),
            attempt_at=at("next_due"),
            attempts=0,
            lease_owner=None,
            lease_until=None,
            last_outcome=bindparam("result", type_=String()),
            last_run_at=at(),
        )
    )
)
RETRY = fixed(
    lambda: (
        update(digest_schedules)
        .where(holds_lease())
        .values(
            attempts=schedules.attempts + 1,
            attempt_at=at("retry_at"),
            lease_owner=None,
            lease_until=None,
        )
    )
)
DISABLE = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.enabled.is_(True))
        .values(
            enabled=False,
            disabled_reason=bindparam("reason", type_=String()),
            updated_at=at(),
            lease_owner=None,
            lease_until=None,
        )
    )
)
FREE_LEASE = fixed(
    lambda: update(digest_schedules).where(holds_lease()).values(lease_owner=None, lease_until=None)
)
# Set only when unset: the admin is told once (rowcount 1), until a chart goes in again.
NOTE_CHART_PROBLEM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.chart_problem.is_(None))
        .values(chart_problem=bindparam("problem", type_=String()))
    )
)
FORGET_CHART_PROBLEM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.chart_problem.is_not(None))
        .values(chart_problem=None)
    )
)


class DigestStore:
    """Every read and write of digest schedules: setting them, and claiming their due runs,
    recording their deliveries, moving them on."""

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
        settings = {
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
        params = {f"new_{name}": value for name, value in settings.items()}
        async with self.database.transaction() as connection:
            workspace = await ensure_workspace_row(connection, workspace_id)
            params.update(workspace=workspace.id, channel=channel_id, at=now)
            upsert = of_dialect(connection, UPSERT_SCHEDULE)
            row = (await connection.execute(upsert, params)).one()
        return schedule_record(row)

    async def get(self, workspace_id: str, channel_id: str) -> DigestSchedule | None:
        """CHANNEL_ID's schedule, or None."""
        params = {"workspace": parse_workspace_id(workspace_id), "channel": channel_id}
        async with self.database.engine.connect() as connection:
            row = (await connection.execute(SELECT_SCHEDULE, params)).one_or_none()
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
        begin: Callable[[DigestSchedule], DeliveryId] | None = None,
    ) -> list[Claim]:
        """Lease up to LIMIT due schedules for OWNER, oldest attempt first; only workspaces of
        PLATFORMS (`slack`, `discord`) when given: a process claims only what it can post.
        BEGIN names the delivery of each claimed schedule's due run: it is begun in the same
        transaction (bot/store/deliveries.py), one commit for the batch."""
        table = digest_schedules.c
        candidates = select(table.workspace_id, table.channel_id).where(claimable())
        if platforms is not None:
            candidates = candidates.where(
                or_(false(), *(table.workspace_id.startswith(f"{name}:") for name in platforms))
            )
        # By attempt_at alone: its index gives the order, and the scan stops at LIMIT rows (a
        # tie-break would sort the whole due set on every claim of a long tick).
        candidates = candidates.order_by(table.attempt_at).limit(limit)
        lease_until = now + lease
        claims: list[Claim] = []
        async with self.database.transaction() as connection:
            if connection.dialect.name == "postgresql":
                # Rows another claimer has locked are skipped, not waited for.
                candidates = candidates.with_for_update(skip_locked=True)
            found = (await connection.execute(candidates, {"at": now})).all()
            lease_params = {"at": now, "holder": owner, "lease_end": lease_until}
            for workspace_id, channel_id in found:
                # Compare-and-set: another process may have claimed it since the SELECT.
                params = {"workspace": workspace_id, "channel": channel_id, **lease_params}
                row = (await connection.execute(CLAIM, params)).one_or_none()
                if row is None:
                    continue
                schedule = schedule_record(row)
                delivery = None
                if begin is not None:
                    delivery = await begin_in(connection, begin(schedule), owner, now=now)
                claims.append(Claim(schedule, owner, lease_until, delivery))
        return claims

    async def finish(
        self, claim: Claim, outcome: Outcome, *, now: datetime, next_due: datetime
    ) -> None:
        """Move the schedule on to NEXT_DUE with OUTCOME as its last, freeing the lease (unless
        the lease was lost, or the schedule was changed since it was claimed)."""
        async with self.database.transaction() as connection:
            await self.finish_in(connection, claim, outcome, now=now, next_due=next_due)

    @staticmethod
    async def finish_in(
        connection: AsyncConnection,
        claim: Claim,
        outcome: Outcome,
        *,
        now: datetime,
        next_due: datetime,
    ) -> None:
        """`finish` within CONNECTION's transaction (the one recording its delivery done)."""
        params = _lease_params(claim)
        params.update(result=outcome, at=now, next_due=next_due,
                      seen_update=claim.schedule.updated_at)  # fmt: skip
        advanced = await connection.execute(ADVANCE, params)
        if advanced.rowcount == 0:
            await connection.execute(FREE_LEASE, params)

    async def retry_later(self, claim: Claim, *, attempt_at: datetime) -> None:
        """Keep the same due run; try again at ATTEMPT_AT (attempts + 1), freeing the lease."""
        params = _lease_params(claim)
        params["retry_at"] = attempt_at
        async with self.database.transaction() as connection:
            await connection.execute(RETRY, params)

    async def note_chart_problem(self, schedule: DigestSchedule, text: str | None) -> bool:
        """Remember TEXT, why the channel refused the chart and what to do there (None: forget
        it); True when it is new (tell the admin then only)."""
        params = {"workspace": schedule.workspace_id, "channel": schedule.channel_id,
                  "problem": None if text is None else text[:300]}  # fmt: skip
        statement = FORGET_CHART_PROBLEM if text is None else NOTE_CHART_PROBLEM
        async with self.database.transaction() as connection:
            result = await connection.execute(statement, params)
        return result.rowcount == 1

    async def disable(self, claim: Claim, reason: str, *, now: datetime) -> bool:
        """Turn the schedule off with REASON; True when it was on (tell the admins then only)."""
        params = _lease_params(claim)
        params.update(reason=reason[:300], at=now)
        async with self.database.transaction() as connection:
            flipped = await connection.execute(DISABLE, params)
            if flipped.rowcount == 0:
                await connection.execute(FREE_LEASE, params)
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


def _lease_params(claim: Claim) -> dict[str, Any]:
    """CLAIM's schedule and lease owner as statement parameters."""
    schedule = claim.schedule
    return {"workspace": schedule.workspace_id, "channel": schedule.channel_id,
            "holder": claim.owner}  # fmt: skip
