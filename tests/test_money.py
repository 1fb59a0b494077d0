"""Money and quantity formatting tables: half-up rounding, tiny amounts, signs, separators."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.money import (
    format_amount,
    format_change,
    format_diem,
    format_share,
    format_spend,
    format_units,
    format_usd,
)

D = Decimal


@pytest.mark.parametrize(
    ("amount", "usd", "diem"),
    [
        ("0", "$0.00", "0.00 DIEM"),
        ("-0", "$0.00", "0.00 DIEM"),
        ("1", "$1.00", "1.00 DIEM"),
        ("1234.5", "$1,234.50", "1,234.50 DIEM"),
        ("1234567.891", "$1,234,567.89", "1,234,567.89 DIEM"),
        # Half-up, not banker's rounding: 0.025 would be 0.02 with ROUND_HALF_EVEN.
        ("0.025", "$0.03", "0.03 DIEM"),
        ("2.675", "$2.68", "2.68 DIEM"),
        ("999.995", "$1,000.00", "1,000.00 DIEM"),
        ("0.005", "$0.01", "0.01 DIEM"),
        ("0.0049", "<$0.01", "<0.01 DIEM"),
        ("0.000001", "<$0.01", "<0.01 DIEM"),
        ("-1", "-$1.00", "-1.00 DIEM"),
        ("-1234.567", "-$1,234.57", "-1,234.57 DIEM"),
        ("-0.005", "-$0.01", "-0.01 DIEM"),
        ("-0.0049", "-<$0.01", "-<0.01 DIEM"),
        ("37.5", "$37.50", "37.50 DIEM"),
    ],
)
def test_usd_and_diem(amount, usd, diem):
    assert format_usd(D(amount)) == usd
    assert format_diem(D(amount)) == diem
    assert "$" not in format_diem(D(amount))


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("12.3", "USD", "$12.30"),
        ("12.3", "DIEM", "12.30 DIEM"),
        ("12.3", "EARNED_CREDITS", "12.30 EARNED_CREDITS"),
        ("0.001", "BUNDLED_CREDITS", "<0.01 BUNDLED_CREDITS"),
    ],
)
def test_format_amount_by_currency(amount, currency, shown):
    assert format_amount(D(amount), currency) == shown


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("0", "tokens", "0 tokens"),
        ("950", "tokens", "950 tokens"),
        ("999", None, "999"),
        ("1000", "tokens", "1K tokens"),
        ("12500", "tokens", "12.5K tokens"),
        ("999994", "tokens", "999.99K tokens"),
        ("3420000", "tokens", "3.42M tokens"),
        ("1500000000", "characters", "1.5B characters"),
        ("1500000000000", None, "1.5T"),
        ("40", "images", "40 images"),
        ("12.25", "seconds", "12.25 seconds"),
        ("-2500", "tokens", "-2.5K tokens"),
    ],
)
def test_units(value, unit, shown):
    assert format_units(D(value), unit) == shown


def test_units_rounding_up_moves_to_the_next_suffix():
    assert format_units(D("999999"), "tokens") == "1M tokens"


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        ("1", "4", "25.0%"),
        ("1", "3", "33.3%"),
        ("2", "3", "66.7%"),
        ("1", "1600", "0.1%"),  # 0.0625% rounds half-up
        ("0", "10", "0.0%"),
        ("5", "4", "125.0%"),
        ("62.5", "100", "62.5%"),
        ("1", "0", "-"),
        ("0", "0", "-"),
    ],
)
def test_share(part, whole, shown):
    assert format_share(D(part), D(whole)) == shown


@pytest.mark.parametrize(
    ("current", "previous", "shown"),
    [
        ("110", "100", "+10.0%"),
        ("90", "100", "-10.0%"),
        ("100", "100", "0.0%"),
        ("1000.5", "1000", "+0.1%"),
        ("999.5", "1000", "-0.1%"),
        ("1", "3", "-66.7%"),
        ("0", "10", "-100.0%"),
        ("300", "100", "+200.0%"),
        ("5", "0", "new"),
        ("0", "0", "no change"),
    ],
)
def test_change(current, previous, shown):
    assert format_change(D(current), D(previous)) == shown


@pytest.mark.parametrize(
    ("usd", "diem", "expected"),
    [
        ("34.58", "0", "$34.58"),
        ("0", "12", "12.00 DIEM"),
        ("1", "2.5", "$1.00 and 2.50 DIEM"),
        ("0", "0", "nothing"),
        ("0.001", "0", "<$0.01"),
    ],
)
def test_spend_names_only_the_currencies_spent(usd: str, diem: str, expected: str):
    assert format_spend(D(usd), D(diem)) == expected
