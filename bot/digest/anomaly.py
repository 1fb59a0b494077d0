"""The digest's anomaly rule: yesterday spent more than twice the median of the 7 days before,
in one currency, and at least a floor, so that a quiet account does not cry wolf."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.money import ZERO, format_amount

FACTOR = 2
# Below these, doubling is noise: $0.30 after a week of $0.10 days is nobody's emergency, and a
# warning every other morning would teach people to ignore the real one.
FLOORS = {"USD": Decimal("1.00"), "DIEM": Decimal("1")}


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value (the mean of the two middle ones for an even count); 0 for none."""
    if not values:
        return ZERO
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def is_anomaly(yesterday: Decimal, before: Sequence[Decimal], currency: str) -> bool:
    """YESTERDAY is strictly more than FACTOR times the median of BEFORE and at least the
    currency's floor (exactly twice is not an anomaly)."""
    return yesterday >= FLOORS[currency] and yesterday > FACTOR * median(before)


def anomaly_note(yesterday: Decimal, before: Sequence[Decimal], currency: str) -> str:
    """`Unusual spend: yesterday's $9.00 is more than twice the 7-day median ($2.00).`"""
    return (
        f"Unusual spend: yesterday's {format_amount(yesterday, currency)} is more than twice "
        f"the median of the {len(before)} days before ({format_amount(median(before), currency)})."
    )
