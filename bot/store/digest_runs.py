"""DigestRuns: the run side of the digest store. Leases on due schedules and one delivery
record per (workspace, channel, local date), so that any number of processes ticking together
post each digest once (the protocol: bot/store/digests.py). Statements: digest_statements.py."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import false, or_, select, update

from bot.store import digest_statements as sql
from bot.store.database import Database
from bot.store.digest_records import Claim, Outcome, schedule_record
from bot.store.tables import digest_schedules
from bot.workspace_id import parse_workspace_id


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
    ) -> list[Claim]:
        """Lease up to LIMIT due schedules for OWNER, oldest attempt first; only workspaces of
        PLATFORMS (`slack`, `discord`) when given: a process claims only what it can post."""
        table = digest_schedules.c
        candidates = select(table.workspace_id, table.channel_id).where(sql.claimable())
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
            found = (await connection.execute(candidates, {"at": now})).all()
            lease_params = {"at": now, "holder": owner, "lease_end": lease_until}
            for workspace_id, channel_id in found:
                # Compare-and-set: another process may have claimed it since the SELECT.
                params = {"workspace": workspace_id, "channel": channel_id, **lease_params}
                row = (await connection.execute(sql.CLAIM, params)).one_or_none()
                if row is not None:
                    claims.append(Claim(schedule_record(row), owner, lease_until))
        return claims

    async def begin_delivery(
        self, claim: Claim, local_date: date, now: datetime
    ) -> Literal["go", "done"]:
        """Record that CLAIM is posting LOCAL_DATE's digest, unless that date is already done."""
        params = _delivery_params(claim, local_date, now)
        async with self.database.transaction() as connection:
            begin = sql.of_dialect(connection, sql.BEGIN_DELIVERY)
            if (await connection.execute(begin, params)).one_or_none() is not None:
                return "go"
            # Taken over only while still in flight: a final outcome is never posted again.
            taken = (await connection.execute(sql.TAKE_OVER, params)).one_or_none()
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
        params = _delivery_params(claim, local_date, now)
        params.update(result=outcome, message=message_id, is_late=late, next_due=next_due,
                      seen_update=claim.schedule.updated_at)  # fmt: skip
        async with self.database.transaction() as connection:
            await connection.execute(sql.of_dialect(connection, sql.WRITE_FINAL), params)
            advanced = await connection.execute(sql.ADVANCE, params)
            if advanced.rowcount == 0:
                await connection.execute(sql.FREE_LEASE, params)

    async def retry_later(
        self, claim: Claim, local_date: date, *, attempt_at: datetime, now: datetime
    ) -> None:
        """Keep the same due run; try again at ATTEMPT_AT (attempts + 1), freeing the lease."""
        params = _delivery_params(claim, local_date, now)
        params["retry_at"] = attempt_at
        async with self.database.transaction() as connection:
            await connection.execute(sql.of_dialect(connection, sql.WRITE_WAITING), params)
            await connection.execute(sql.RETRY, params)

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

    async def delivery_outcome(
        self, workspace_id: str, channel_id: str, local_date: date
    ) -> str | None:
        """The recorded outcome of that date (`posting` while in flight), or None."""
        params = {"workspace": parse_workspace_id(workspace_id), "channel": channel_id,
                  "day": local_date}  # fmt: skip
        async with self.database.engine.connect() as connection:
            outcome: str | None = await connection.scalar(sql.DELIVERY_OUTCOME, params)
        return outcome


def _lease_params(claim: Claim) -> dict[str, Any]:
    """CLAIM's schedule and lease owner as statement parameters."""
    schedule = claim.schedule
    return {"workspace": schedule.workspace_id, "channel": schedule.channel_id,
            "holder": claim.owner}  # fmt: skip


def _delivery_params(claim: Claim, local_date: date, now: datetime) -> dict[str, Any]:
    """CLAIM's delivery of LOCAL_DATE at NOW as statement parameters."""
    return {**_lease_params(claim), "day": local_date, "at": now}
