"""Which run of a schedule a claim posts, and what one tick did (TickReport).

Catch-up: a run up to 6 hours late is posted saying so (bot/schedule.py's `timeliness`); an
older one is missed, and the latest run since is posted instead when it is not missed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.schedule import latest_run, local_date, next_run, timeliness
from bot.store.digests import Claim, DigestSchedule


@dataclass
class TickReport:
    """What one tick did, for logs and `digest run-due`'s summary line."""

    posted: int = 0
    late: int = 0
    skipped: int = 0
    missed: int = 0
    notified: int = 0
    retrying: int = 0
    disabled: int = 0
    failed: int = 0
    stopped: int = 0  # claims left when the database stopped answering
    recovered: int = 0  # posts found already made (a crash, or the database, in between)
    interrupted: str | None = None  # why the tick stopped short: the database could not be written
    lines: list[str] = field(default_factory=list)  # one per digest, for `run-due` output

    def add(self, what: str, schedule: DigestSchedule, day: date, note: str = "") -> None:
        """Count WHAT and add its line: `posted slack:T1 #C1 2026-11-30 (late)`."""
        setattr(self, what, getattr(self, what) + 1)
        suffix = f" ({note})" if note else ""
        self.lines.append(f"{what} {schedule.workspace_id} #{schedule.channel_id} {day}{suffix}")


@dataclass(frozen=True, slots=True)
class Run:
    """The run one claim posts: its instant, local date, next run, and whether it is late."""

    claim: Claim
    at: datetime
    day: date
    next_due: datetime
    late: bool


def run_of(claim: Claim, now: datetime) -> Run:
    """The run CLAIM's schedule is due for (its `due_at`), as seen at NOW."""
    when = claim.schedule.when
    due = claim.schedule.due_at
    late = timeliness(due, now) == "late"
    return Run(claim, due, local_date(when, due), next_run(when, now), late)


def is_missed(run: Run, now: datetime) -> bool:
    """RUN is too late to post at NOW (more than 6 hours)."""
    return timeliness(run.at, now) == "missed"


def instead_of_missed(missed: Run, now: datetime) -> Run | None:
    """The latest run since MISSED (down for days), when it is still worth posting at NOW;
    None when there is none or it is missed too."""
    when = missed.claim.schedule.when
    latest = latest_run(when, now)
    if latest is None or latest <= missed.at or timeliness(latest, now) == "missed":
        return None
    late = timeliness(latest, now) == "late"
    return Run(missed.claim, latest, local_date(when, latest), missed.next_due, late)
