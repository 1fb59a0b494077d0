"""DigestRuns: the run side of the digest store. Leases on due schedules, so that one process
at a time works on each due run, however many tick together (the protocol: bot/store/digests.py;
each run's post is a delivery, bot/store/deliveries.py). Statements: digest_statements.py."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import digest_statements as sql
from bot.store.database import Database
from bot.store.deliveries import DeliveryId, begin_in
from bot.store.digest_records import Claim, DigestSchedule, Outcome, schedule_record
from bot.store.tables import digest_schedules


class DigestRuns:
    """Claiming due schedules, recording their deliveries, moving them on."""

    def __init__(self, database: Database) -> None:
        self.database = database

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
        candidates = select(table.workspace_id, table.channel_id).where(sql.claimable())
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
                row = (await connection.execute(sql.CLAIM, params)).one_or_none()
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
        advanced = await connection.execute(sql.ADVANCE, params)
        if advanced.rowcount == 0:
            await connection.execute(sql.FREE_LEASE, params)

    async def retry_later(self, claim: Claim, *, attempt_at: datetime) -> None:
        """Keep the same due run; try again at ATTEMPT_AT (attempts + 1), freeing the lease."""
        params = _lease_params(claim)
        params["retry_at"] = attempt_at
        async with self.database.transaction() as connection:
            await connection.execute(sql.RETRY, params)

    async def note_chart_problem(self, schedule: DigestSchedule, text: str | None) -> bool:
        """Remember TEXT, why the channel refused the chart and what to do there (None: forget
        it); True when it is new (tell the admin then only)."""
        params = {"workspace": schedule.workspace_id, "channel": schedule.channel_id,
                  "problem": None if text is None else text[:300]}  # fmt: skip
        statement = sql.FORGET_CHART_PROBLEM if text is None else sql.NOTE_CHART_PROBLEM
        async with self.database.transaction() as connection:
            result = await connection.execute(statement, params)
        return result.rowcount == 1

    async def disable(self, claim: Claim, reason: str, *, now: datetime) -> bool:
        """Turn the schedule off with REASON; True when it was on (tell the admins then only)."""
        params = _lease_params(claim)
        params.update(reason=reason[:300], at=now)
        async with self.database.transaction() as connection:
            flipped = await connection.execute(sql.DISABLE, params)
            if flipped.rowcount == 0:
                await connection.execute(sql.FREE_LEASE, params)
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
