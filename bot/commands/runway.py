"""Runway arithmetic: how long today's DIEM and the USD balance last at the recent burn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from bot.money import ZERO
from bot.venice.models import UsageAnalytics

BURN_DAYS = 7
BURN_LOOKBACK = f"{BURN_DAYS}d"
SECONDS_PER_DAY = 86_400
# Beyond this a date is meaningless (and `date` overflows near year 9999).
MAX_RUNWAY_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Burn:
    """Average spend per day over the last BURN_DAYS days, per currency."""

    usd_per_day: Decimal
    diem_per_day: Decimal


@dataclass(frozen=True, slots=True)
class DiemRunway:
    """Whether today's DIEM outlasts the epoch; `runs_out_at` is set when it does not."""

    left: Decimal
    burn_per_day: Decimal
    reset_at: datetime
    runs_out_at: datetime | None

    @property
    def lasts_until_reset(self) -> bool:
        return self.runs_out_at is None

    def describe(self) -> str:
        if self.runs_out_at is None:
            if self.burn_per_day == 0:
                return "lasts until the reset (no DIEM spend in the last 7 days)"
            return "lasts until the reset"
        if self.left <= 0:
            return "none left until the reset"
        return f"runs out around {self.runs_out_at:%H:%M} UTC"


@dataclass(frozen=True, slots=True)
class UsdRunway:
    """How many whole days the USD balance lasts; `days` is None when nothing is spent in USD."""

    balance: Decimal
    burn_per_day: Decimal
    days: int | None
    until: date | None

    @property
    def short(self) -> bool:
        """Less than a week left: worth a warning."""
        return self.days is not None and self.days < BURN_DAYS

    def describe(self) -> str:
        if self.days is None:
            return "no USD spend in the last 7 days"
        if self.balance <= 0:
            return "no USD balance left"
        if self.days > MAX_RUNWAY_DAYS:
            return "more than 10 years"
        if self.days == 0:
            return "less than a day"
        unit = "day" if self.days == 1 else "days"
        return f"~{self.days} {unit}, until {self.until}"


def average_burn(usage: UsageAnalytics) -> Burn:
    """Sum of the daily rows divided by BURN_DAYS (days without a row spent nothing)."""
    usd = sum((row.usd for row in usage.by_date), ZERO)
    diem = sum((row.diem for row in usage.by_date), ZERO)
    return Burn(usd / BURN_DAYS, diem / BURN_DAYS)


def next_reset(now: datetime) -> datetime:
    """The next 00:00 UTC: when Venice grants a new DIEM allocation."""
    return datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=now.tzinfo)


def countdown(now: datetime, until: datetime) -> str:
    """`9 h 57 min`, `42 min`, or `under a minute` (whole minutes, rounded down)."""
    minutes = int((until - now).total_seconds()) // 60
    hours, minutes = divmod(max(minutes, 0), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min" if minutes else "under a minute"


def diem_runway(left: Decimal, burn_per_day: Decimal, now: datetime) -> DiemRunway:
    """When today's DIEM runs out at BURN_PER_DAY spread evenly over the day."""
    reset = next_reset(now)
    if left <= 0 and burn_per_day > 0:
        return DiemRunway(left, burn_per_day, reset, now)
    if burn_per_day <= 0:
        return DiemRunway(left, burn_per_day, reset, None)
    seconds = left * SECONDS_PER_DAY / burn_per_day
    until_reset = Decimal(int((reset - now).total_seconds()))
    if seconds >= until_reset:
        return DiemRunway(left, burn_per_day, reset, None)
    runs_out = now + timedelta(seconds=int(seconds))
    return DiemRunway(left, burn_per_day, reset, runs_out)


def usd_runway(balance: Decimal, burn_per_day: Decimal, today: date) -> UsdRunway:
    """Whole days (rounded down) the USD balance lasts at BURN_PER_DAY, and until which day."""
    if burn_per_day <= 0:
        return UsdRunway(balance, burn_per_day, None, None)
    if balance <= 0:
        return UsdRunway(balance, burn_per_day, 0, today)
    days = int((balance / burn_per_day).to_integral_value(rounding=ROUND_FLOOR))
    until = today + timedelta(days=days) if days <= MAX_RUNWAY_DAYS else None
    return UsdRunway(balance, burn_per_day, days, until)
