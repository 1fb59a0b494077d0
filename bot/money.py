"""Exact money and quantity formatting. Amounts are Decimal; USD gets `$`, DIEM never does."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal(0)


def _two_places(amount: Decimal) -> str:
    return f"{amount.copy_abs().quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def format_usd(amount: Decimal) -> str:
    """`$1,234.56`; a non-zero amount under a cent shows as `<$0.01`; negatives as `-$1.00`."""
    if amount != 0 and amount.copy_abs() < Decimal("0.005"):
        return "-<$0.01" if amount < 0 else "<$0.01"
    sign = "-" if amount < 0 and amount.quantize(CENT, rounding=ROUND_HALF_UP) != 0 else ""
    return f"{sign}${_two_places(amount)}"


def shown_cents(amount: Decimal) -> Decimal:
    """AMOUNT as it is shown: rounded to the cent, half up (what format_usd and format_diem do)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def apportion(whole: Decimal, parts: Sequence[Decimal]) -> list[Decimal] | None:
    """PARTS to the cent so that they add up to WHOLE as it is shown: each part rounded down, and
    the cents still missing given to the parts that lost most (largest remainders), so no part
    moves by a cent or more. None when the parts do not add up to WHOLE exactly, or one is
    negative: then nothing can be made to add up honestly."""
    if any(part < 0 for part in parts) or sum(parts, ZERO) != whole:
        return None
    shown = [part.quantize(CENT, rounding=ROUND_FLOOR) for part in parts]
    missing = int((shown_cents(whole) - sum(shown, ZERO)) / CENT)
    lost_most = sorted(range(len(parts)), key=lambda index: (shown[index] - parts[index], index))
    for index in lost_most[:missing]:
        shown[index] += CENT
    return shown


def format_diem(amount: Decimal) -> str:
    """`1,234.56 DIEM`; never a `$`. Under 0.01 (non-zero) shows as `<0.01 DIEM`."""
    if amount != 0 and amount.copy_abs() < Decimal("0.005"):
        return "-<0.01 DIEM" if amount < 0 else "<0.01 DIEM"
    sign = "-" if amount < 0 and amount.quantize(CENT, rounding=ROUND_HALF_UP) != 0 else ""
    return f"{sign}{_two_places(amount)} DIEM"


def format_amount(amount: Decimal, currency: str) -> str:
    """Format an amount in USD, DIEM or any other currency Venice may add (code after it)."""
    if currency == "USD":
        return format_usd(amount)
    if currency == "DIEM":
        return format_diem(amount)
    return format_diem(amount).replace(" DIEM", f" {currency}")


_SUFFIXES = (
    (Decimal(10) ** 12, "T"),
    (Decimal(10) ** 9, "B"),
    (Decimal(10) ** 6, "M"),
    (Decimal(10) ** 3, "K"),
)


def format_quantity(value: Decimal) -> str:
    """Compact count: `950`, `12.5K`, `3.42M`. Exact below 1,000 (at most 2 decimals)."""
    if value.copy_abs() >= 1000:
        for threshold, suffix in reversed(_SUFFIXES):
            # Smallest suffix whose rounded figure stays under 1000, so 999,999 reads `1M`.
            scaled = (value / threshold).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if scaled.copy_abs() < 1000 or suffix == _SUFFIXES[0][1]:
                return f"{scaled:f}".rstrip("0").rstrip(".") + suffix
    if value == value.to_integral_value():
        return f"{value.to_integral_value():,f}"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):,f}"


def format_units(value: Decimal, unit_type: str | None) -> str:
    """`1.2M tokens`, `40 images`; no unit name when Venice gave none."""
    quantity = format_quantity(value)
    return f"{quantity} {unit_type}" if unit_type else quantity


def format_fraction(fraction: Decimal) -> str:
    """A fraction as a percentage to 0.1, `41.4%`, the one rounding of every share and meter:
    something never reads `0.0%` (`<0.1%`), and all but a little never `100.0%` (`>99.9%`)."""
    if not fraction.is_finite():
        return "n/a"
    try:
        percent = (fraction * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds
        return f"{fraction * 100:.1f}%"
    if fraction > 0 and percent == 0:
        return "<0.1%"
    if 0 < fraction < 1 and percent >= 100:
        return ">99.9%"
    return f"{percent}%"


def format_share(part: Decimal, whole: Decimal) -> str:
    """`42.1%` of the whole; `-` when the whole is zero (no percentage of nothing)."""
    if whole == 0:
        return "-"
    return format_fraction(part / whole)


def format_change(current: Decimal, previous: Decimal) -> str:
    """Signed percentage change, `+12.5%` / `-3.0%`; `new` when the previous amount was zero."""
    if previous == 0:
        return "no change" if current == 0 else "new"
    change = ((current - previous) * 100 / previous).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"+{change}%" if change > 0 else f"{change}%"


def format_spend(usd: Decimal, diem: Decimal) -> str:
    """`$1.00 and 2.00 DIEM`, naming only the currencies that were spent (`nothing` for none)."""
    parts = [format_usd(usd)] if usd else []
    if diem:
        parts.append(format_diem(diem))
    return " and ".join(parts) or "nothing"
