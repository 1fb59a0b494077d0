"""Venice's daily chart series, read once: which currency `byModelDaily`, `byKeyDaily`,
`byModelDailyUsd` and `byKeyDailyUsd` carry, checked against the figures that are certain.

What the sources say (Venice's docs, its SDKs and the community's, gathered with the specs):
- Venice's docs and its official SDKs: `byModelDaily` and `byKeyDaily` are DIEM per day; the
  `byModelDailyUsd` and `byKeyDailyUsd` arrays (sent by the live API, missing from the OpenAPI
  file) are USD per day.
- Other sources read `byModelDaily` as USD + DIEM per day.
- The series list only the top names (8, or 50 plus an "Other" series).

So a series counts as one name's split of a currency only when Venice's own figures agree: for
every name it lists, its days add up to that name's `byModel` / `byKey` total in the currency,
and no day lists more than that day's `byDate` total. The docs' reading is tried first; when only
USD + DIEM fits, DIEM is that series less the USD one (or all of it, when the listed names spent
no USD). When nothing fits there is no split for that currency: a chart then shows the day's
total and says so, never a split made up from shares of another currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.venice.models import UsageAnalytics, parse_day

ZERO = Decimal(0)
DATE_KEY = "date"
OTHER = "Other"
# Venice may round each day's value: half a cent a day is rounding, more is another reading.
TOLERANCE_PER_DAY = Decimal("0.005")

Series = dict[date, dict[str, Decimal]]  # day -> name -> amount, as one Venice array lists them


@dataclass(frozen=True, slots=True)
class DailySplit:
    """One currency's spend per day and per name Venice listed (its top models or keys, and
    "Other" when it sends one). A day's `byDate` total less these is the names it did not list."""

    currency: str
    source: str  # the Venice field it was read from, for `--format json` and the tests
    days: Mapping[date, Mapping[str, Decimal]]

    def of_day(self, day: date) -> Mapping[str, Decimal]:
        return self.days.get(day, {})


@dataclass(frozen=True, slots=True)
class Splits:
    """The USD and the DIEM split of one family (models or keys); None where Venice gave none."""

    usd: DailySplit | None
    diem: DailySplit | None

    def of(self, currency: str) -> DailySplit | None:
        return self.usd if currency == "USD" else self.diem if currency == "DIEM" else None


def model_splits(usage: UsageAnalytics) -> Splits:
    """Per-model splits of USD and DIEM from `byModelDaily` and `byModelDailyUsd`."""
    totals = _name_totals((m.model_name, m.total_usd, m.total_diem) for m in usage.by_model)
    return _splits(usage, "byModel", usage.by_model_daily, usage.by_model_daily_usd, totals)


def key_splits(usage: UsageAnalytics) -> Splits:
    """Per-key splits of USD and DIEM from `byKeyDaily` and `byKeyDailyUsd` (keyed by name)."""
    totals = _name_totals((k.name, k.total_usd, k.total_diem) for k in usage.by_key)
    return _splits(usage, "byKey", usage.by_key_daily, usage.by_key_daily_usd, totals)


def _splits(
    usage: UsageAnalytics,
    family: str,
    main_rows: list[dict[str, Any]],
    usd_rows: list[dict[str, Any]],
    totals: Mapping[str, tuple[Decimal, Decimal]],
) -> Splits:
    day_usd: dict[date, Decimal] = {}
    day_diem: dict[date, Decimal] = {}
    for row in usage.by_date:
        day_usd[row.day] = day_usd.get(row.day, ZERO) + row.usd
        day_diem[row.day] = day_diem.get(row.day, ZERO) + row.diem
    name_usd = {name: usd for name, (usd, _) in totals.items()}
    name_diem = {name: diem for name, (_, diem) in totals.items()}
    name_both = {name: usd + diem for name, (usd, diem) in totals.items()}
    day_both = {
        day: day_usd.get(day, ZERO) + day_diem.get(day, ZERO) for day in {*day_usd, *day_diem}
    }

    main, usd_series = read_series(main_rows), read_series(usd_rows)
    main_field, usd_field = f"{family}Daily", f"{family}DailyUsd"
    usd = DailySplit("USD", usd_field, usd_series) if fits(usd_series, name_usd, day_usd) else None
    if fits(main, name_diem, day_diem):  # the docs' reading
        return Splits(usd, DailySplit("DIEM", main_field, main))
    if not fits(main, name_both, day_both):
        return Splits(usd, None)
    # USD + DIEM: DIEM is what is left of each value once its USD is taken out.
    if usd is not None:
        diem = _less(main, usd_series)
        source = f"{main_field} less {usd_field}"
        return Splits(
            usd, DailySplit("DIEM", source, diem) if fits(diem, name_diem, day_diem) else None
        )
    if fits(main, name_usd, day_usd):  # the listed names spent no DIEM: it is all USD
        return Splits(DailySplit("USD", main_field, main), None)
    return Splits(None, None)


def fits(
    series: Series, name_totals: Mapping[str, Decimal], day_totals: Mapping[date, Decimal]
) -> bool:
    """True when SERIES is these totals split by day: each listed name's days add up to its
    total, and no day lists more than that day's total (both within rounding)."""
    if not series:
        return False
    sums: dict[str, Decimal] = {}
    for day, values in series.items():
        for name, amount in values.items():
            sums[name] = sums.get(name, ZERO) + amount
        if sum(values.values(), ZERO) > day_totals.get(day, ZERO) + TOLERANCE_PER_DAY:
            return False
    tolerance = TOLERANCE_PER_DAY * len(series)
    for name, amount in sums.items():
        if name == OTHER:
            continue  # the names Venice did not list: nothing to check it against
        if name not in name_totals:
            if amount != 0:
                return False  # a name Venice's totals do not know: its reading is unproven
            continue
        if abs(amount - name_totals[name]) > tolerance:
            return False
    return True


def read_series(rows: Iterable[dict[str, Any]]) -> Series:
    """A Venice daily array as day -> name -> amount; unreadable days and values are skipped."""
    series: Series = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            day = parse_day(row.get(DATE_KEY))
        except (ValueError, TypeError, OverflowError):
            continue  # a row without a readable day cannot be placed
        of_day = series.setdefault(day, {})
        for name, value in row.items():
            amount = _amount(value)
            if name != DATE_KEY and amount is not None:
                of_day[str(name)] = of_day.get(str(name), ZERO) + amount
    return series


def _less(combined: Series, usd: Series) -> Series:
    """COMBINED less USD, name by name and day by day, never below zero (rounding)."""
    return {
        day: {
            name: max(amount - usd.get(day, {}).get(name, ZERO), ZERO)
            for name, amount in values.items()
        }
        for day, values in combined.items()
    }


def _name_totals(
    rows: Iterable[tuple[str, Decimal, Decimal]],
) -> dict[str, tuple[Decimal, Decimal]]:
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for name, usd, diem in rows:
        before_usd, before_diem = totals.get(name, (ZERO, ZERO))
        totals[name] = (before_usd + usd, before_diem + diem)
    return totals


def _amount(value: Any) -> Decimal | None:
    """A finite, non-negative amount, or None for anything else (text that is no number, true)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
    else:
        return None
    return amount if amount.is_finite() and amount >= 0 else None
