"""What one sweep measures of one account, for its alert rules: fetched once per workspace per
sweep through the shared cache, and only what the workspace's rules need.

- `/billing/balance` (one call) for `usd below`, `diem used`, `runway below` and `funds-out`;
- `/billing/usage-analytics` (one call: the 7 full UTC days before today and today) for
  `runway below` (the USD burn of those 7 days, the runway `balance` shows), `spend above`
  (today's spend) and `spike` (today against the 7-day median);
- `GET /api_keys` only for `key-cap`.

A fetch that fails leaves its figures None, with the reason in `failures`: a rule whose figure
is missing is not judged this sweep (its state stays as it is).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Generic, Literal, TypeVar

from bot.alerts.rules import RuleKind
from bot.alerts.states import LimitPeriod, Reading, key_cap_period, utc_day
from bot.deadline import Deadline
from bot.digest.anomaly import FLOORS, median
from bot.errors import VeniceError
from bot.money import ZERO
from bot.reports.footer import short_reason
from bot.reports.runway import BURN_DAYS, average_burn, usd_runway
from bot.venice.models import ApiKeys, Balance, DayUsage, UsageAnalytics
from bot.venice.source import BillingSource, Fetched, UsageQuery

Figure = Literal["balance", "usage", "api_keys"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Spike:
    """Today's spend in one currency against the median day of the 7 full days before."""

    currency: str
    today: Decimal
    median: Decimal

    @property
    def unusual(self) -> bool:
        """More than twice the median, and at least the digest's floor (bot/digest/anomaly.py)."""
        return self.today >= FLOORS[self.currency] and self.today > 2 * self.median


@dataclass(frozen=True, slots=True)
class KeyCap:
    """One API key's use of one of its own consumption limits, in percent (may pass 100)."""

    key_id: str
    key_name: str
    currency: str  # "USD", "DIEM"
    percent: Decimal
    used: Decimal
    limit: Decimal
    period: str  # Venice's limitPeriod: EPOCH, MONTH, LIFETIME


@dataclass(frozen=True, slots=True)
class Readings:
    """The account's figures at `measured_at`; None where not fetched or not known."""

    measured_at: datetime
    balance: Balance | None = None
    usage: UsageAnalytics | None = None
    usd: Decimal | None = None
    can_consume: bool | None = None
    # Percent of today's DIEM allocation used (0-100); None when not staking.
    diem_used_percent: Decimal | None = None
    # Whole days the USD funds last at the USD burn; None when nothing was spent in USD.
    runway_days: int | None = None
    runway_known: bool = False  # the burn was fetched (runway_days None then means no USD spend)
    spend_today: Decimal | None = None  # USD + DIEM, counted as the rankings count them
    spikes: tuple[Spike, ...] = ()
    # Every capped key's share of each limit, the highest first; None when not fetched.
    key_caps: tuple[KeyCap, ...] | None = None
    failures: dict[Figure, str] = field(default_factory=dict)


def today_and_window(now: datetime) -> UsageQuery:
    """The 7 full UTC days before today, and today: one analytics call for burn, spend, spike."""
    today = now.date()
    start = today - timedelta(days=BURN_DAYS)
    return UsageQuery(None, start.isoformat(), today.isoformat())


async def take_readings(
    source: BillingSource, needs: Collection[Figure], now: datetime, deadline: Deadline
) -> Readings:
    """Fetch what NEEDS names (at once), and work out the figures the rules compare."""

    balance, usage, keys = await asyncio.gather(
        _fetch("balance" in needs, lambda: source.balance(deadline)),
        _fetch("usage" in needs, lambda: source.usage(today_and_window(now), deadline)),
        _fetch("api_keys" in needs, lambda: source.api_keys(deadline)),
    )
    failures: dict[Figure, str] = {}
    return figures(
        now,
        _value(balance, "balance", failures),
        _value(usage, "usage", failures),
        failures,
        keys=_value(keys, "api_keys", failures),
    )


def figures(
    now: datetime,
    balance: Balance | None,
    usage: UsageAnalytics | None,
    failures: dict[Figure, str] | None = None,
    *,
    keys: ApiKeys | None = None,
) -> Readings:
    """The rules' figures from what was fetched."""
    today = now.date()
    usd = diem_used = None
    can_consume = None
    if balance is not None:
        usd = balance.balances.usd if balance.balances.usd is not None else ZERO
        can_consume = balance.can_consume
        allocation = balance.diem_epoch_allocation
        diem = balance.balances.diem
        if diem is not None and allocation > 0:
            used = min(max(allocation - diem, ZERO), allocation)
            diem_used = used * 100 / allocation
    runway_days = None
    runway_known = False
    spend_today = None
    spikes: list[Spike] = []
    if usage is not None:
        rows = usage.by_date
        spend_today = sum((row.usd + row.diem for row in rows if row.day == today), ZERO)
        window = [row for row in rows if today - timedelta(days=BURN_DAYS) <= row.day < today]
        for currency, pick in (("USD", _usd), ("DIEM", _diem)):
            before = [pick(row) for row in window]
            before += [ZERO] * (BURN_DAYS - len(before))  # a day without a row spent nothing
            spent = sum((pick(row) for row in rows if row.day == today), ZERO)
            spikes.append(Spike(currency, spent, median(before)))
        if balance is not None:
            runway = usd_runway(balance, average_burn(rows, today), today)
            runway_days, runway_known = runway.days, True
    return Readings(
        measured_at=now,
        balance=balance,
        usage=usage,
        usd=usd,
        can_consume=can_consume,
        diem_used_percent=diem_used,
        runway_days=runway_days,
        runway_known=runway_known,
        spend_today=spend_today,
        spikes=tuple(spikes),
        key_caps=None if keys is None else key_caps(keys),
        failures=dict(failures or {}),
    )


def key_caps(keys: ApiKeys) -> tuple[KeyCap, ...]:
    """Each key's share of each of its limits (keys without a limit, or with spending disabled,
    have none), the highest share first."""
    caps = []
    for key in keys.keys:
        for currency, share in key.cap_shares().items():
            limit = key.limit(currency)
            if limit is None:
                continue
            caps.append(
                KeyCap(
                    key_id=key.id or key.name,
                    key_name=key.name,
                    currency=currency.upper(),
                    percent=share * 100,
                    used=key.used_in_period(currency) or ZERO,
                    limit=limit,
                    period=key.limit_period or "LIFETIME",
                )
            )
    caps.sort(key=lambda cap: cap.percent, reverse=True)
    return tuple(caps)


def _usd(row: DayUsage) -> Decimal:
    return row.usd


def _diem(row: DayUsage) -> Decimal:
    return row.diem


def _limit_period(period: str) -> LimitPeriod:
    match period:
        case "EPOCH":
            return "EPOCH"
        case "MONTH":
            return "MONTH"
        case _:
            return "LIFETIME"


@dataclass(frozen=True, slots=True)
class _Got(Generic[T]):
    """One figure's fetch: its value, or why Venice did not give it (both None: not wanted)."""

    value: T | None = None
    error: VeniceError | None = None


async def _fetch(wanted: bool, call: Callable[[], Awaitable[Fetched[T]]]) -> _Got[T]:
    """CALL's answer when WANTED; Venice's failure kept as a value (the other figures count)."""
    if not wanted:
        return _Got()
    try:
        return _Got((await call()).value)
    except VeniceError as error:
        return _Got(error=error)


def _value(got: _Got[T], name: Figure, failures: dict[Figure, str]) -> T | None:
    if got.error is not None:
        failures[name] = short_reason(got.error)
    return got.value


# What each kind of rule compares, by the figures it needs fetched.
NEEDS: dict[RuleKind, frozenset[Figure]] = {
    "usd_below": frozenset({"balance"}),
    "diem_used": frozenset({"balance"}),
    "runway_below": frozenset({"balance", "usage"}),
    "spend_above": frozenset({"usage"}),
    "spike": frozenset({"usage"}),
    "key_cap": frozenset({"api_keys"}),
    "funds_out": frozenset({"balance"}),
}
NO_BURN = Decimal("Infinity")  # a runway with no USD spend never runs out


def needs_of(kinds: Collection[RuleKind]) -> frozenset[Figure]:
    """The figures a workspace's rules of KINDS need (nothing for no rules)."""
    return frozenset().union(*(NEEDS[kind] for kind in kinds))


def reading_for(kind: RuleKind, readings: Readings) -> Reading | None:
    """What a rule of KIND watches, from READINGS; None when it is not known this sweep (Venice
    failed, or there is nothing to compare: no DIEM staked for `diem used`)."""
    at = readings.measured_at
    day = utc_day(at)
    match kind:
        case "usd_below":
            return None if readings.usd is None else Reading(readings.usd, at)
        case "diem_used":
            used = readings.diem_used_percent
            return None if used is None else Reading(used, at, day)
        case "runway_below":
            if not readings.runway_known:
                return None
            days = readings.runway_days
            return Reading(NO_BURN if days is None else Decimal(days), at)
        case "spend_above":
            spent = readings.spend_today
            return None if spent is None else Reading(spent, at, day)
        case "spike":
            if readings.usage is None:
                return None
            return Reading(any(spike.unusual for spike in readings.spikes), at, day)
        case "key_cap":
            if not readings.key_caps:
                return None  # not fetched, or no key has a cap: nothing to compare
            top = readings.key_caps[0]
            period = key_cap_period(top.key_id, _limit_period(top.period), at)
            return Reading(top.percent, at, period)
        case "funds_out":
            consume = readings.can_consume
            return None if consume is None else Reading(not consume, at)
