"""What the digest store hands out (DigestSchedule, Claim, Outcome) and how a digest_schedules
row maps to a DigestSchedule: the weekday bitmask and the stored `HH:MM` local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Literal

from sqlalchemy import Row

from bot.schedule import DigestTime
from bot.store.deliveries import Delivery

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
    the claim began it (`DigestRuns.claim_due`'s BEGIN)."""

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
