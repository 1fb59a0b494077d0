"""The anomaly rule: more than twice the median of the days before, and at least a floor."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.digest.anomaly import anomaly_note, is_anomaly, median


def amounts(*values: str) -> list[Decimal]:
    return [Decimal(value) for value in values]


@pytest.mark.parametrize(
    ("yesterday", "before", "currency", "anomaly"),
    [
        ("10.00", ["4"] * 7, "USD", True),
        ("8.00", ["4"] * 7, "USD", False),  # exactly twice is not an anomaly
        ("8.01", ["4"] * 7, "USD", True),
        # The median, not the mean: one huge day before does not hide a jump.
        ("10.00", ["1", "1", "1", "1", "100", "1", "1"], "USD", True),
        # ...and one quiet day does not make an ordinary one look like a jump.
        ("10.00", ["6", "6", "6", "0", "0", "0", "6"], "USD", False),
        # Under the floor: $0.90 after a week of $0.10 is noise.
        ("0.90", ["0.10"] * 7, "USD", False),
        ("1.00", ["0.10"] * 7, "USD", True),  # at the floor it counts
        ("5.00", ["0"] * 7, "USD", True),  # spend out of nothing
        ("0.99", ["0"] * 7, "DIEM", False),
        ("1", ["0"] * 7, "DIEM", True),
        ("0", ["0"] * 7, "USD", False),
        ("300", ["200", "150", "100", "160", "170", "180", "140"], "DIEM", False),
        ("330", ["200", "150", "100", "160", "170", "180", "140"], "DIEM", True),
    ],
)
def test_anomaly_rule(yesterday, before, currency, anomaly):
    assert is_anomaly(Decimal(yesterday), amounts(*before), currency) is anomaly


@pytest.mark.parametrize(
    ("values", "middle"),
    [([], "0"), (["3"], "3"), (["5", "1", "3"], "3"), (["4", "1", "3", "2"], "2.5")],
)
def test_median(values, middle):
    assert median(amounts(*values)) == Decimal(middle)


def test_note_gives_both_amounts_in_their_currency():
    before = amounts("2", "2", "2", "3", "1", "2", "2")
    assert anomaly_note(Decimal("9"), before, "USD") == (
        "Unusual spend: yesterday's $9.00 is more than twice the median of the 7 days before "
        "($2.00)."
    )
    diem = anomaly_note(Decimal("9"), before, "DIEM")
    assert "$" not in diem
    assert "9.00 DIEM" in diem
    assert "2.00 DIEM" in diem
