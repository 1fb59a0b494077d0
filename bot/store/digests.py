"""DigestStore: the digest schedules and their leases, so that any number of processes ticking
together work on each due run once; each run's post is a delivery (bot/store/deliveries.py,
one record per (workspace, channel, "digest", local date)).

The protocol (see bot/digest/runner.py for the caller; the run side is digest_runs.py):
1. `claim_due(now, owner, lease)` leases the enabled schedules whose `attempt_at <= now` and whose
   lease is free or expired: compare-and-set (`UPDATE ... WHERE lease free`, rowcount checked),
   with `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL so concurrent claimers do not wait.
2. The runner delivers the run (bot/delivery.py); a delivery already done is not posted again.
3. `finish(...)` advances the schedule to its next run with the run's outcome, releasing the
   lease. `retry_later` keeps the same due run and sets a later attempt. `disable` turns a
   schedule off (the channel cannot be posted to) and says whether it was on.
4. `release(owner)` frees a stopping process's leases at once.

The records (DigestSchedule, Claim, Outcome) are in digest_records.py, re-exported here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from bot.schedule import DigestTime, format_time, next_run
from bot.store import digest_statements as sql
from bot.store.digest_records import (
    Claim,
    DigestSchedule,
    Outcome,
    parse_local_time,
    schedule_record,
    weekday_mask,
    weekdays_of,
)
from bot.store.digest_runs import DigestRuns
from bot.store.rows import ensure_workspace_row
from bot.store.tables import digest_schedules
from bot.workspace_id import parse_workspace_id

__all__ = [
    "Claim",
    "DigestSchedule",
    "DigestStore",
    "Outcome",
    "parse_local_time",
    "schedule_record",
    "weekday_mask",
    "weekdays_of",
]


class DigestStore(DigestRuns):
    """Every read and write of digest schedules and deliveries (the runs: DigestRuns)."""

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
            upsert = sql.of_dialect(connection, sql.UPSERT_SCHEDULE)
            row = (await connection.execute(upsert, params)).one()
        return schedule_record(row)

    async def get(self, workspace_id: str, channel_id: str) -> DigestSchedule | None:
        """CHANNEL_ID's schedule, or None."""
        params = {"workspace": parse_workspace_id(workspace_id), "channel": channel_id}
        async with self.database.engine.connect() as connection:
            row = (await connection.execute(sql.SELECT_SCHEDULE, params)).one_or_none()
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
