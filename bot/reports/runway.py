"""Burn rate and runway, one rule for `balance`, the digest and App Home (and alerts later).

The burn is the average spend per day of the last 7 *full* UTC days: today is never counted, since
early in the UTC day its part would make the burn look lower and the runway longer than they are.
The USD runway counts what Venice charges before USD, in Venice's order (DIEM, earned credits,
bundled credits, then USD): DIEM has its own runway to the daily reset, and the credits are spent
at the USD burn before the USD balance is (Venice's docs on `consumptionCurrency`). Also the
share of today's DIEM allocation used (the meter) and the warning when Venice says the account
cannot consume.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal

from bot.cards import Meter
from bot.money import ZERO, format_amount, format_diem, format_usd
from bot.venice.models import Balance, DayUsage
from bot.venice.source import UsageQuery

BURN_DAYS = 7
WINDOW_LABEL = f"last {BURN_DAYS} full UTC days"
SECONDS_PER_DAY = 86_400
# Beyond this a date is meaningless (and `date` overflows near year 9999).
MAX_RUNWAY_DAYS = 3650


@dataclass(frozen=True, slots=True)
class BurnWindow:
    """The BURN_DAYS whole UTC days before today, oldest first."""

    start: date
    end: date

    @classmethod
    def before(cls, today: date) -> BurnWindow:
        return cls(today - timedelta(days=BURN_DAYS), today - timedelta(days=1))

    def query(self) -> UsageQuery:
        """The usage-analytics query of exactly these days."""
        return UsageQuery(None, self.start.isoformat(), self.end.isoformat())

    def describe(self) -> str:
        """`the last 7 full UTC days (2026-11-15 to 2026-11-21)`."""
        return f"the {WINDOW_LABEL} ({self.start.isoformat()} to {self.end.isoformat()})"

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Burn:
    """Average spend per day over the window, per currency."""

    window: BurnWindow
    usd_per_day: Decimal
    diem_per_day: Decimal

    def usd_text(self) -> str:
        """`$26.47/day over the last 7 full UTC days`."""
        return f"{format_usd(self.usd_per_day)}/day over the {WINDOW_LABEL}"

    def diem_text(self) -> str:
        return f"{format_diem(self.diem_per_day)}/day over the {WINDOW_LABEL}"


def average_burn(rows: Iterable[DayUsage], today: date) -> Burn:
    """The burn of the full UTC days before TODAY: their rows summed, divided by BURN_DAYS (a day
    without a row spent nothing; rows of other days, today's among them, are left out)."""
    window = BurnWindow.before(today)
    usd = diem = ZERO
    for row in rows:
        if window.holds(row.day):
            usd += row.usd
            diem += row.diem
    return Burn(window, usd / BURN_DAYS, diem / BURN_DAYS)


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
                return f"lasts until the reset (no DIEM spend in the {WINDOW_LABEL})"
            return "lasts until the reset"
        if self.left <= 0:
            return "none left until the reset"
        return f"runs out around {self.runs_out_at:%H:%M} UTC"


# What Venice charges after DIEM and before USD, in its order: (currency, name, balance field).
CHARGED_BEFORE_USD = (
    ("EARNED_CREDITS", "earned credits", "earned_credits"),
    ("BUNDLED_CREDITS", "bundled credits", "bundled_credits"),
)


@dataclass(frozen=True, slots=True)
class Fund:
    """A balance the USD-priced spend draws on: credits, or USD itself."""

    name: str  # "bundled credits", "USD"
    amount: Decimal


@dataclass(frozen=True, slots=True)
class UsdRunway:
    """How many whole days the credits and then the USD balance last at the USD burn; `days` is
    None when nothing was spent in USD."""

    funds: tuple[Fund, ...]  # in the order Venice charges them, USD last
    burn_per_day: Decimal
    days: int | None
    until: date | None

    @property
    def balance(self) -> Decimal:
        """Every fund the USD-priced spend draws on, credits included."""
        return sum((fund.amount for fund in self.funds), ZERO)

    @property
    def credits(self) -> tuple[Fund, ...]:
        return tuple(fund for fund in self.funds if fund.name != "USD" and fund.amount > 0)

    @property
    def short(self) -> bool:
        """Less than a week left: worth a warning."""
        return self.days is not None and self.days < BURN_DAYS

    def describe(self) -> str:
        """`~22 days, until 2026-12-14 (20.13 credits first, then USD)`."""
        if self.days is None:
            return f"no USD spend in the {WINDOW_LABEL}"
        if self.balance <= 0:
            return "no USD balance left"
        if self.days > MAX_RUNWAY_DAYS:
            text = "more than 10 years"
        elif self.days == 0:
            text = "less than a day"
        else:
            unit = "day" if self.days == 1 else "days"
            text = f"~{self.days} {unit}, until {self.until}"
        if self.credits:
            # Which credits, and how much of each, is on the balance card above.
            credits = sum((fund.amount for fund in self.credits), ZERO)
            text += f" ({format_amount(credits, 'credits')} first, then USD)"
        return text


def funds_before_usd(balance: Balance) -> tuple[Fund, ...]:
    """The credits Venice charges before USD, in its order, then the USD balance."""
    funds = [
        Fund(name, amount)
        for _, name, attr in CHARGED_BEFORE_USD
        if (amount := getattr(balance.balances, attr)) is not None and amount > 0
    ]
    usd = balance.balances.usd
    funds.append(Fund("USD", usd if usd is not None and usd > 0 else ZERO))
    return tuple(funds)


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


def usd_runway(balance: Balance, burn: Burn, today: date) -> UsdRunway:
    """Whole days (rounded down) the credits charged before USD and then the USD balance last at
    the USD burn, and until which day."""
    funds = funds_before_usd(balance)
    per_day = burn.usd_per_day
    if per_day <= 0:
        return UsdRunway(funds, per_day, None, None)
    total = sum((fund.amount for fund in funds), ZERO)
    if total <= 0:
        return UsdRunway(funds, per_day, 0, today)
    days = int((total / per_day).to_integral_value(rounding=ROUND_FLOOR))
    until = today + timedelta(days=days) if days <= MAX_RUNWAY_DAYS else None
    return UsdRunway(funds, per_day, days, until)


CANNOT_CONSUME = (
    "Venice will refuse API requests until the account is topped up: "
    "canConsume is false (needs at least $0.10)."
)
FRACTION_PLACES = Decimal("0.0001")


def allocation_meter(diem: Decimal | None, allocation: Decimal) -> Meter | None:
    """The share of today's DIEM allocation used; None when not staking or DIEM is unknown."""
    # No percentage of nothing: not staking, or Venice did not say what is left.
    if diem is None or allocation <= 0:
        return None
    used = _used(diem, allocation)
    return Meter(
        label="Today's DIEM allocation used",
        fraction=_meter_fraction(used / allocation),
        # Renderers draw the percentage from `fraction`; the caption gives the amounts.
        caption=f"{format_diem(diem)} of {format_diem(allocation)} left",
    )


def _meter_fraction(exact: Decimal) -> Decimal:
    """EXACT to FRACTION_PLACES, never rounded onto an end it is not at: some use never reads
    as none, and some DIEM left never as all used."""
    fraction = exact.quantize(FRACTION_PLACES)
    if 0 < exact < 1:
        return min(max(fraction, FRACTION_PLACES), 1 - FRACTION_PLACES)
    return fraction


def _used(diem: Decimal, allocation: Decimal) -> Decimal:
    # Clamped: a balance above the allocation (or below zero) must not draw past the bar's ends.
    return min(max(allocation - diem, ZERO), allocation)
