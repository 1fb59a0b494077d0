"""The stacked spend chart of a period (the digest's 14 days, `/venice usage`): one currency, the
top models and "Other", each day's stack summing exactly to that day's `byDate` total.

Venice's `byModelDaily` is ambiguous (its values may be DIEM, or USD + DIEM, and its series the
top 8 or the top 50 plus "Other"), so it is read only as each day's *shares* between models; the
amounts come from `byDate`, whose currencies are certain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from bot.cards import Chart, Stack
from bot.money import ZERO
from bot.venice.models import parse_day

TOP_STACKS = 4
OTHER = "Other"
ALL_MODELS = "All models"
# Micro-units: finer than any price Venice shows, so scaled shares lose nothing a person sees.
SHARE_PLACES = Decimal("0.000001")
DATE_KEY = "date"

DayTotals = tuple[date, Decimal, Decimal]  # (day, USD, DIEM), as usage.daily_totals makes them


def chart_currency(days: Sequence[DayTotals]) -> str:
    """The currency with the larger total over DAYS: "USD", or "DIEM"; USD on ties."""
    usd = sum((row[1] for row in days), ZERO)
    diem = sum((row[2] for row in days), ZERO)
    return "DIEM" if diem > usd else "USD"


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


def spend_chart(
    title: str, days: Sequence[DayTotals], by_model_daily: list[dict[str, Any]]
) -> Chart:
    """The chart of DAYS in the larger currency, stacked by the top TOP_STACKS models."""
    currency = chart_currency(days)
    totals = [row[1] if currency == "USD" else row[2] for row in days]
    day_list = tuple(row[0] for row in days)
    if not by_model_daily:
        return Chart(title, currency, day_list, (Stack(ALL_MODELS, tuple(totals)),))
    weights = _weights_by_day(by_model_daily)
    per_day = [
        scale_shares(total, _with_remainder(weights.get(row[0], {}), row[1] + row[2]))
        for row, total in zip(days, totals, strict=True)
    ]
    return Chart(title, currency, day_list, _stacks(per_day))


def _weights_by_day(rows: list[dict[str, Any]]) -> dict[date, dict[str, Decimal]]:
    weights: dict[date, dict[str, Decimal]] = {}
    for row in rows:
        try:
            day = parse_day(row.get(DATE_KEY))
        except (ValueError, TypeError, OverflowError):
            continue  # a row without a readable day cannot be placed
        of_day = weights.setdefault(day, {})
        for name, value in row.items():
            if name == DATE_KEY:
                continue
            amount = _amount(value)
            if amount is not None and amount > 0:
                series = OTHER if name == OTHER else str(name)
                of_day[series] = of_day.get(series, ZERO) + amount
    return weights


def _with_remainder(weights: dict[str, Decimal], spend: Decimal) -> dict[str, Decimal]:
    # Read as USD + DIEM (the simulator's and the likelier reading): when the listed series add
    # up to less than the day's spend, the rest is models Venice did not list, i.e. "Other".
    # Under any other reading the series exceed it or match it, and nothing is added.
    listed = sum(weights.values(), ZERO)
    if 0 < listed < spend:
        return {**weights, OTHER: weights.get(OTHER, ZERO) + spend - listed}
    return weights


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


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None
    return None
