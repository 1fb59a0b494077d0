"""When a daily digest runs: a local time of day, an IANA time zone and weekdays, turned into
instants in UTC with `zoneinfo` (so DST changes and half-hour offsets are right). Pure functions,
tested by tables (tests/test_schedule.py).

DST rules: a local time that does not exist that day (the spring-forward gap) runs at the first
instant after the gap (02:30 in Madrid on the last Sunday of March runs at 03:00 local); a local
time that happens twice (fall back) runs once, at the first occurrence (fold=0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from bot.errors import BotError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
EVERY_DAY: frozenset[int] = frozenset(range(7))
# A digest missed by at most this much (downtime) is still posted, late, saying so.
CATCH_UP = timedelta(hours=6)
# A digest posted more than this after its time says it is late.
LATE_AFTER = timedelta(minutes=5)


class ScheduleError(BotError):
    """A time, zone or weekday list that cannot be read; `message` says what to write instead."""

    def __init__(self, message: str, *, example: str) -> None:
        self.message = message
        self.example = example
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class DigestTime:
    """When one schedule runs: local time of day, IANA zone name, weekdays (0 = Monday)."""

    at: time
    time_zone: str
    weekdays: frozenset[int] = EVERY_DAY


def parse_time(text: str) -> time:
    """`09:00`, `9:00`, `9`, `17:30` (24-hour clock) → time; else ScheduleError."""
    raise NotImplementedError


def parse_zone(text: str) -> str:
    """An IANA zone name, matched case-insensitively (`europe/madrid` → `Europe/Madrid`); `UTC`
    accepted. ScheduleError names the right form (`Area/City`)."""
    raise NotImplementedError


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri`, `sat-sun`, `daily`, `weekdays`, `weekends` (case-insensitive;
    a range may wrap: `fri-mon`) → weekday numbers; else ScheduleError."""
    raise NotImplementedError


def format_days(days: frozenset[int]) -> str:
    """The shortest way to write DAYS that parse_days reads back: `daily`, `mon-fri`, `mon,wed`."""
    raise NotImplementedError


def format_time(at: time) -> str:
    """`09:00`."""
    return at.strftime("%H:%M")


def next_run(when: DigestTime, after: datetime) -> datetime:
    """The first scheduled instant strictly after AFTER (aware), in UTC."""
    raise NotImplementedError


def latest_run(when: DigestTime, not_after: datetime) -> datetime | None:
    """The most recent scheduled instant at or before NOT_AFTER, in UTC (None if none in the
    8 days before)."""
    raise NotImplementedError


def local_date(when: DigestTime, run_at: datetime) -> date:
    """The local calendar date a run at RUN_AT belongs to (the idempotency key's date)."""
    raise NotImplementedError


Timeliness = Literal["on_time", "late", "missed"]


def timeliness(due_at: datetime, now: datetime) -> Timeliness:
    """on_time within LATE_AFTER of DUE_AT; late up to CATCH_UP after; missed beyond."""
    raise NotImplementedError
