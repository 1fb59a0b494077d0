"""`GET /api_keys`: the account's API keys, their limits and usage, summed from the same ledger
as usage-analytics, so a key has the same id here as in `byKey` and the same amounts.

- `usage.trailingSevenDays` is the window of usage-analytics' `lookback=7d`: today so far and
  the six UTC days before it.
- `currentPeriodUsage` (only on a key with a limit) is the key's usage in its limit's period:
  today so far (EPOCH), since the 1st of this UTC month (MONTH), or since it was created
  (LIFETIME; the simulated history is HISTORY_DAYS long).
- Amounts are strings of exact decimals, as the live API sends them.
- Keys are listed newest first. The Web App is not a key: it is never listed.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from venice_simulator.analytics import DayTotals, Tally, day_totals
from venice_simulator.catalog import DIEM_CAP_STEP, AccountProfile, KeyLimits, KeySpec
from venice_simulator.jsontext import money, number_text
from venice_simulator.ledger import HISTORY_DAYS, charges_until, key_id, key_label

TRAILING_DAYS = 7
_SECRET_CHARS = string.ascii_letters + string.digits


def _iso(moment: datetime) -> str:
    """`2026-11-22T14:03:00.000Z`, as Venice writes instants."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _created_at(seed: int, key: KeySpec, now: datetime) -> datetime:
    day = now.date() - timedelta(days=key.created_days_ago)
    offset = random.Random(f"{seed}:created:{key.name}").randrange(86_400)
    created = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=offset)
    return min(created, now)


def _last6(seed: int, key: KeySpec) -> str:
    rng = random.Random(f"{seed}:secret:{key.name}")
    return "".join(rng.choice(_SECRET_CHARS) for _ in range(6))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _period_days(limits: KeyLimits, created: date, today: date) -> list[date]:
    if limits.period == "MONTH":
        return _days(today.replace(day=1), today)
    if limits.period == "LIFETIME":
        return _days(max(created, today - timedelta(days=HISTORY_DAYS - 1)), today)
    return [today]  # EPOCH: the UTC day


def _sum(totals: Iterable[DayTotals], ident: tuple[str | None, str]) -> Tally:
    found = Tally()
    for day in totals:
        tally = day.keys.get(ident)
        if tally is not None:
            found.add(tally.usd, tally.diem, tally.units)
    return found


def _amounts(tally: Tally) -> dict[str, str]:
    return {"usd": number_text(money(tally.usd)), "diem": number_text(money(tally.diem))}


def _limit_text(amount: Decimal | None) -> str | None:
    return None if amount is None else number_text(amount)


def diem_limit(limits: KeyLimits, used_diem: Decimal) -> Decimal | None:
    """The DIEM limit: the fixed one, or the smallest step above USED_DIEM / `diem_kept_near`."""
    if limits.diem_kept_near is None:
        return limits.diem
    steps = max(1, math.ceil(used_diem / limits.diem_kept_near / DIEM_CAP_STEP))
    return DIEM_CAP_STEP * steps


def _last_used(seed: int, profile: AccountProfile, key: KeySpec, now: datetime) -> str | None:
    today = now.date()
    for back in range(HISTORY_DAYS):
        day = today - timedelta(days=back)
        for charge in reversed(charges_until(seed, profile, day, now)):
            if charge.key == key:
                return _iso(datetime.fromtimestamp(charge.ts_ms / 1000, tz=UTC))
    return None


def _key_row(
    seed: int,
    profile: AccountProfile,
    key: KeySpec,
    totals: dict[date, DayTotals],
    now: datetime,
    idle: bool,
) -> dict[str, Any]:
    today = now.date()
    created = _created_at(seed, key, now)
    ident = (key_id(seed, key), key_label(seed, key))
    trailing = [totals[today - timedelta(days=i)] for i in range(TRAILING_DAYS)]
    limits = key.limits
    period = _sum((totals[day] for day in _period_days(limits, created.date(), today)), ident)
    expires = None
    if key.expires_in_days is not None:
        lifetime = key.created_days_ago + key.expires_in_days
        expires = _iso(created + timedelta(days=lifetime))
    row: dict[str, Any] = {
        "id": key_id(seed, key),
        "apiKeyType": key.key_type,
        "description": key.description,
        "createdAt": _iso(created),
        "expiresAt": expires,
        "lastUsedAt": None if idle else _last_used(seed, profile, key, now),
        "last6Chars": _last6(seed, key),
        "consumptionLimits": {
            "usd": _limit_text(limits.usd),
            "diem": _limit_text(diem_limit(limits, money(period.diem))),
        },
        "limitPeriod": limits.period,
        "usage": {"trailingSevenDays": _amounts(Tally() if idle else _sum(trailing, ident))},
    }
    if limits.limited:
        row["currentPeriodUsage"] = _amounts(Tally() if idle else period)
    return row


def api_keys(seed: int, profile: AccountProfile, now: datetime) -> dict[str, Any]:
    """The `GET /api_keys` body of `profile` as seen at `now`."""
    today = now.date()
    busy = [key for key, _ in profile.keys if key.name is not None]
    wanted = set(_days(today - timedelta(days=TRAILING_DAYS - 1), today))
    for key in busy:
        created = _created_at(seed, key, now).date()
        wanted.update(_period_days(key.limits, created, today))
    totals = {day: day_totals(seed, profile, day, now) for day in sorted(wanted)} if busy else {}
    for day in wanted - totals.keys():
        totals[day] = DayTotals()
    rows = [_key_row(seed, profile, key, totals, now, idle=False) for key in busy]
    rows += [_key_row(seed, profile, key, totals, now, idle=True) for key in profile.idle_keys]
    rows.sort(key=lambda row: row["createdAt"], reverse=True)
    return {"object": "list", "data": rows}
