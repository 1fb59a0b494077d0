"""The stacked spend chart's data: byModelDaily read as shares, byDate as the amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.commands.spend_chart import (
    ALL_MODELS,
    OTHER,
    chart_currency,
    scale_shares,
    spend_chart,
)

D = Decimal
DAYS = [date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)]


def ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        ("10", {"a": "1", "b": "1", "c": "1"}),  # thirds do not divide evenly
        ("0.07", {"a": "3", "b": "3", "c": "1"}),
        ("123.456789", {"a": "0.000001", "b": "999"}),
        ("5", {"a": "2"}),
        ("1", {"a": "1", "b": "-4", "c": "0"}),  # negative and zero weights are ignored
        ("2.5", {}),  # no shares: all of it is Other
        ("2.5", {"a": "0"}),
    ],
)
def test_scaled_shares_sum_exactly_to_the_day_total(total, weights):
    parts = scale_shares(D(total), {name: D(weight) for name, weight in weights.items()})
    assert sum(parts.values(), D(0)) == D(total)
    assert all(amount >= 0 for amount in parts.values())


def test_shares_keep_their_proportions():
    parts = scale_shares(D("9"), {"a": D("2"), "b": D("1")})
    assert parts == {"a": D("6"), "b": D("3")}


def test_no_spend_means_no_parts():
    assert scale_shares(D(0), {"a": D(1)}) == {}


@pytest.mark.parametrize(
    ("usd", "diem", "currency"),
    [("5", "4", "USD"), ("4", "5", "DIEM"), ("5", "5", "USD"), ("0", "0", "USD")],
)
def test_the_larger_currency_is_charted_usd_on_ties(usd, diem, currency):
    assert chart_currency([(DAYS[0], D(usd), D(diem))]) == currency


def test_each_stack_of_a_day_sums_to_its_bydate_total_in_the_chosen_currency():
    days = [(DAYS[0], D("1.00"), D("10")), (DAYS[1], D("0.50"), D("7.77")), (DAYS[2], D(0), D(0))]
    # Values in some other unit (here USD + DIEM, the simulator's reading): shares only.
    daily = [
        {"date": ms(DAYS[0]), "A": D("6"), "B": D("3"), "C": D("1"), "D": D("0.5"), "E": D("0.5")},
        {"date": ms(DAYS[1]), "A": D("1"), "Other": D("2")},
        {"date": ms(DAYS[2]), "A": D("0")},
    ]
    chart = spend_chart("t", days, daily)
    assert chart.currency == "DIEM"
    assert chart.days == tuple(DAYS)
    for index, (_, _, diem) in enumerate(days):
        assert sum((stack.values[index] for stack in chart.stacks), D(0)) == diem
    names = [stack.name for stack in chart.stacks]
    assert names == ["A", "B", "C", "D", OTHER]  # largest first, at most 4, Other last


def test_series_short_of_the_days_spend_leave_the_rest_to_other():
    # Venice listed only model A (3 of the day's 10 spent): A is not credited with all of it.
    days = [(DAYS[0], D("10"), D("0"))]
    chart = spend_chart("t", days, [{"date": ms(DAYS[0]), "A": D("3")}])
    assert {stack.name: stack.values[0] for stack in chart.stacks} == {"A": D(3), OTHER: D(7)}


def test_without_bymodeldaily_one_stack_of_all_models():
    days = [(DAYS[0], D("1.25"), D("0")), (DAYS[1], D("2"), D("0"))]
    chart = spend_chart("t", days, [])
    assert [(stack.name, stack.values) for stack in chart.stacks] == [
        (ALL_MODELS, (D("1.25"), D("2")))
    ]


def test_lenient_rows_dates_as_text_and_numbers_as_text_odd_values_skipped():
    days = [(DAYS[0], D("4"), D("0")), (DAYS[1], D("2"), D("0"))]
    daily = [
        {"date": "2026-11-27", "A": "1", "B": 1, "C": "n/a", "D": None, "E": True},
        {"date": "not a date", "A": 5},
        {"A": 5},
        {"date": ms(DAYS[1] + timedelta(days=30)), "Z": 9},  # a day outside the chart
    ]
    chart = spend_chart("t", days, daily)
    by_name = {stack.name: stack.values for stack in chart.stacks}
    # Day 1: A and B listed 2 of the 4 spent; day 2 had no readable row: all Other.
    assert by_name == {"A": (D(1), D(0)), "B": (D(1), D(0)), OTHER: (D(2), D(2))}
