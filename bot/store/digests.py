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

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.schedule import DigestTime
from bot.store.database import Database

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
        raise NotImplementedError

    async def get(self, workspace_id: str, channel_id: str) -> DigestSchedule | None:
        raise NotImplementedError

    async def list_schedules(self, workspace_id: str | None = None) -> list[DigestSchedule]:
        """Every schedule (of WORKSPACE_ID), ordered by workspace then channel."""
        raise NotImplementedError

    async def remove(self, workspace_id: str, channel_id: str | None = None) -> int:
        """Delete CHANNEL_ID's schedule, or every schedule of WORKSPACE_ID; returns how many."""
        raise NotImplementedError

    async def claim_due(
        self, now: datetime, owner: str, *, lease: timedelta, limit: int = 100
    ) -> list[Claim]:
        """Lease up to LIMIT due schedules for OWNER, oldest attempt first."""
        raise NotImplementedError

    async def begin_delivery(
        self, claim: Claim, local_date: date, now: datetime
    ) -> Literal["go", "done"]:
        """Record that CLAIM is posting LOCAL_DATE's digest, unless that date is already done."""
        raise NotImplementedError

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
        raise NotImplementedError

    async def retry_later(
        self, claim: Claim, local_date: date, *, attempt_at: datetime, now: datetime
    ) -> None:
        """Keep the same due run; try again at ATTEMPT_AT (attempts + 1), freeing the lease."""
        raise NotImplementedError

    async def disable(self, claim: Claim, reason: str, *, now: datetime) -> bool:
        """Turn the schedule off with REASON; True when it was on (tell the admins then only)."""
        raise NotImplementedError

    async def release(self, owner: str) -> int:
        """Free every lease OWNER holds (a stopping process); returns how many."""
        raise NotImplementedError

    async def delivery_outcome(
        self, workspace_id: str, channel_id: str, local_date: date
    ) -> str | None:
        """The recorded outcome of that date (`posting` while in flight), or None."""
        raise NotImplementedError


def parse_local_time(text: str) -> time:
    """The stored `HH:MM` back to a time."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
