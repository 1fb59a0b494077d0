"""A period's spend day by day (`usage`, the digest's 14 days): the per-day totals, their
sparkline trend, and the spend chart, one panel per currency spent.

Each panel stacks every day by the top models as Venice split that currency (which daily series
carries which currency is read in bot/venice/daily_series.py), the rest as "Other", so that each
day's stack adds up exactly to that day's `byDate` total in the currency and each model's days
add up to its `byModel` total. Where Venice gave no per-model split of a currency, its panel is
one stack of the day's totals and says so: a split is never made up from another currency.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from bot.cards import Chart, ChartPanel, Series, Stack, Trend
from bot.money import ZERO, format_diem, format_usd
from bot.period import Period
from bot.venice.daily_series import DailySplit, model_splits
from bot.venice.models import DayUsage, UsageAnalytics

TOP_STACKS = 4
OTHER = "Other"
ALL_MODELS = "All models"
CURRENCIES = ("USD", "DIEM")
# Micro-units: finer than any price Venice shows, so scaled amounts lose nothing a person sees.
SHARE_PLACES = Decimal("0.000001")

DayTotals = tuple[date, Decimal, Decimal]  # (day, USD, DIEM), as daily_totals makes them


def no_split_note(currency: str) -> str:
    """What a panel without a per-model split says."""
    return f"Venice gave no per-model split of {currency} here: totals per day."


def spend_chart(title: str, days: Sequence[DayTotals], usage: UsageAnalytics) -> Chart | None:
    """The chart of DAYS, a panel for each currency spent; None when nothing was spent."""
    splits = model_splits(usage)
    panels = []
    for currency in CURRENCIES:
        totals = [row[1] if currency == "USD" else row[2] for row in days]
        if any(totals):
            panels.append(_panel(currency, days, totals, splits.of(currency)))
    if not panels:
        return None
    return Chart(title, tuple(row[0] for row in days), tuple(panels))


def scale_shares(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Split TOTAL between WEIGHTS in proportion; the parts sum to TOTAL exactly (the rounding
    remainder goes to the largest part). No positive weight: all of it is OTHER."""
    positive = {name: weight for name, weight in weights.items() if weight > 0}
    whole = sum(positive.values(), ZERO)
    if total == 0:
        return {}
    if whole == 0:
        return {OTHER: total}
    parts = {
        name: (total * weight / whole).quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)
        for name, weight in positive.items()
    }
    largest = max(parts, key=lambda name: (parts[name], name))
    parts[largest] += total - sum(parts.values(), ZERO)
    return parts


def _panel(
    currency: str, days: Sequence[DayTotals], totals: list[Decimal], split: DailySplit | None
) -> ChartPanel:
    per_day = (
        [_day_parts(total, split.of_day(row[0])) for row, total in zip(days, totals, strict=True)]
        if split
        else []
    )
    if not any(name != OTHER for parts in per_day for name in parts):
        # No split, or one that names no model on these days: the totals, said as such.
        stack = Stack(ALL_MODELS, tuple(totals))
        return ChartPanel(currency, (stack,), by_model=False, note=no_split_note(currency))
    return ChartPanel(currency, _stacks(per_day))


def _day_parts(total: Decimal, listed: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """The day's TOTAL by the names Venice LISTED; what they leave is "Other"."""
    named = {name: amount for name, amount in listed.items() if name != OTHER and amount > 0}
    if sum(listed.values(), ZERO) > total:
        # A little more than the day's total (Venice's rounding, within the reading's check):
        # scaled down, so that the stack still adds up to the total exactly.
        return scale_shares(total, {**named, OTHER: listed.get(OTHER, ZERO)})
    rest = total - sum(named.values(), ZERO)
    return {**named, OTHER: rest} if rest else named


def _stacks(per_day: list[dict[str, Decimal]]) -> tuple[Stack, ...]:
    sums: dict[str, Decimal] = {}
    for parts in per_day:
        for name, amount in parts.items():
            sums[name] = sums.get(name, ZERO) + amount
    ranked = sorted((name for name in sums if name != OTHER), key=lambda name: (-sums[name], name))
    top = ranked[:TOP_STACKS]
    stacks = [Stack(name, tuple(parts.get(name, ZERO) for parts in per_day)) for name in top]
    rest = [
        sum((amount for name, amount in parts.items() if name not in top), ZERO)
        for parts in per_day
    ]
    if any(rest):
        stacks.append(Stack(OTHER, tuple(rest)))
    return tuple(stacks)


def daily_totals(rows: list[DayUsage], period: Period) -> list[tuple[date, Decimal, Decimal]]:
    """One (day, USD, DIEM) per day of PERIOD, zero-filled, plus any other day Venice returned."""
    totals: dict[date, tuple[Decimal, Decimal]] = {}
    day = period.start
    while day <= period.end:
        totals[day] = (ZERO, ZERO)
        day += timedelta(days=1)
    for row in rows:
        usd, diem = totals.get(row.day, (ZERO, ZERO))
        totals[row.day] = (usd + row.usd, diem + row.diem)
    return [(day, usd, diem) for day, (usd, diem) in sorted(totals.items())]


def spend_trend(days: list[tuple[date, Decimal, Decimal]], usd: Decimal, diem: Decimal) -> Trend:
    """Per-day USD and DIEM series (only the currencies spent) for sparklines."""
    series = []
    if usd != 0:
        series.append(Series("USD", tuple(row[1] for row in days), format_usd(usd)))
    if diem != 0:
        series.append(Series("DIEM", tuple(row[2] for row in days), format_diem(diem)))
    return Trend("Spend per day (UTC)", tuple(row[0] for row in days), tuple(series))
