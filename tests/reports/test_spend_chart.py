"""The spend chart's data: a panel per currency spent, each model's days as Venice split that
currency, every figure checked against exact sums of the body."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.period import Period
from bot.reports.spend_chart import (
    ALL_MODELS,
    OTHER,
    TOP_STACKS,
    daily_totals,
    scale_shares,
    spend_chart,
)
from bot.venice.models import UsageAnalytics
from tests.venice.ledger_bodies import ALL_USD_GLM_DAY, WEEK, body, tricky_week

D = Decimal
PERIOD = Period(WEEK[0], WEEK[-1], "last 7 days", lookback="7d")


def chart_of(answer: dict):
    usage = UsageAnalytics.model_validate(answer)
    return spend_chart("t", daily_totals(usage.by_date, PERIOD), usage)


def panel(chart, currency: str):
    return next(p for p in chart.panels if p.currency == currency)


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


@pytest.mark.parametrize("currency", ["USD", "DIEM"])
@pytest.mark.parametrize("shape", ["docs", "combined+usd"])
def test_every_figure_of_a_panel_is_an_exact_sum_of_the_body(shape, currency):
    answer = body(tricky_week(), shape=shape)
    chart = chart_of(answer)
    shown = panel(chart, currency)
    assert shown.by_model
    field = "totalUsd" if currency == "USD" else "totalDiem"
    by_model = {row["modelName"]: D(row[field]) for row in answer["byModel"]}
    by_date = {row["date"][:10]: D(row[currency]) for row in answer["byDate"]}
    for index, day in enumerate(chart.days):
        stack_total = sum((stack.values[index] for stack in shown.stacks), D(0))
        assert stack_total == by_date.get(day.isoformat(), D(0))
    named = [stack for stack in shown.stacks if stack.name != OTHER]
    assert len(named) == TOP_STACKS
    for stack in named:
        assert sum(stack.values, D(0)) == by_model[stack.name], stack.name
    other = next(stack for stack in shown.stacks if stack.name == OTHER)
    rest = sum(by_model.values(), D(0)) - sum(by_model[stack.name] for stack in named)
    assert sum(other.values, D(0)) == rest


def test_the_issue_figures():
    chart = chart_of(body(tricky_week()))
    usd = {stack.name: stack for stack in panel(chart, "USD").stacks}
    assert sum(usd["Wan 2.2 Video"].values, D(0)) == D("6.50")
    assert "Venice Small" not in usd  # DIEM only: never under USD
    diem = {stack.name: stack for stack in panel(chart, "DIEM").stacks}
    assert sum(diem["Venice Small"].values, D(0)) == D("34.060")
    day = chart.days.index(ALL_USD_GLM_DAY)
    on_that_day = {name: stack.values[day] for name, stack in usd.items() if stack.values[day]}
    assert list(on_that_day) == ["GLM 5.1"]  # all the day's USD is GLM 5.1's, nothing split off


@pytest.mark.parametrize("shape", ["combined", "none"])
def test_without_a_split_a_panel_of_totals_that_says_so(shape):
    answer = body(tricky_week(), shape=shape)
    chart = chart_of(answer)
    for currency in ("USD", "DIEM"):
        shown = panel(chart, currency)
        assert not shown.by_model
        assert shown.note is not None
        assert currency in shown.note
        assert [stack.name for stack in shown.stacks] == [ALL_MODELS]
        by_date = {row["date"][:10]: D(row[currency]) for row in answer["byDate"]}
        assert shown.stacks[0].values == tuple(by_date.get(d.isoformat(), D(0)) for d in WEEK)


def test_a_usd_only_account_gets_one_usd_panel():
    ledger = {(day, "GLM 5.1", "k"): ("1.25", "0") for day in WEEK}
    chart = chart_of(body(ledger))
    assert [p.currency for p in chart.panels] == ["USD"]
    assert [s.name for s in chart.panels[0].stacks] == ["GLM 5.1"]


def test_nothing_spent_no_chart():
    assert chart_of(body({})) is None


def test_listed_a_little_more_than_the_day_is_scaled_to_the_day_exactly():
    answer = body({(WEEK[0], "A", "k"): ("0", "1.00"), (WEEK[0], "B", "k"): ("0", "2.00")})
    for row in answer["byModelDaily"]:
        row["A"], row["B"] = D("1.003"), D("2.003")  # Venice's rounding, within half a cent
    shown = panel(chart_of(answer), "DIEM")
    assert sum((stack.values[0] for stack in shown.stacks), D(0)) == D("3.00")
