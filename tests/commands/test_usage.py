"""`usage [PERIOD]`: exact totals, the per-day trend, top models and the previous-period change."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.commands import usage as usage_command
from bot.errors import BadKey, QueryTimedOut
from bot.invocation import Invocation
from bot.period import parse_period
from bot.venice.source import Fetched, UsageQuery
from tests.asking import answer_text
from tests.commands.builders import (
    DOLLAR_DIEM,
    FETCHED_AT,
    TODAY,
    card_strings,
    context,
    day,
    field_value,
    has_field,
    model,
    source,
    usage,
)

D = Decimal
PREVIOUS_30 = UsageQuery(start_date="2026-09-24", end_date="2026-10-23")


async def run(period_text: str, main, previous=None):
    period = parse_period(period_text, TODAY)
    # Any other query (the previous period) gets PREVIOUS: no spend unless a test says otherwise.
    mapping = {UsageQuery.from_params(period.query()): main}
    src = source(usage_answer=previous if previous is not None else usage(), usage_for=mapping)
    card = await usage_command.handle(Invocation("usage", period=period), context(src))
    return card, src


@pytest.mark.parametrize(
    ("rows", "usd", "diem"),
    [
        ([("2026-11-21", "0.1", "0"), ("2026-11-22", "0.2", "0")], "0.3", "0"),
        ([("2026-11-20", "0.1", "0.7"), ("2026-11-21", "0.2", "0.1")], "0.3", "0.8"),
        ([(f"2026-11-{d}", "0.01", "0.03") for d in range(16, 23)], "0.07", "0.21"),
        ([("2026-11-22", "1234.5678", "0.005")], "1234.5678", "0.005"),
    ],
)
async def test_totals_are_exact_sums_of_daily_rows(rows, usd, diem):
    # byModel disagrees on purpose: totals come from byDate only.
    answer_ = usage([day(*r) for r in rows], [model("Big", "999", "999")])
    card, _ = await run("7d", answer_)
    assert card.data["total"] == {"usd": D(usd), "diem": D(diem)}
    assert card.to_dict()["data"]["total"] == {"usd": usd, "diem": diem}
    assert field_value(card, "Total USD") == f"${D(usd).quantize(D('0.01')):,}"


async def test_average_per_day_divides_by_the_period_length():
    card, _ = await run("30d", usage([day("2026-11-22", "3", "0.3")]), usage())
    assert card.data["average_per_day"] == {"usd": D("0.1"), "diem": D("0.01")}
    assert field_value(card, "Average per day") == "$0.10 · 0.01 DIEM"


async def test_trend_is_zero_filled_and_keeps_days_outside_the_period():
    rows = [
        day("2026-11-22T00:00:00.000Z", "1", "0"),  # ISO timestamps and newest first
        day("2026-11-18", "0.5", "0"),
        day("2026-11-10", "0.25", "0"),  # outside 7d: still shown, in order
    ]
    card, _ = await run("7d", usage(rows))
    assert card.trend is not None
    expected_days = [date(2026, 11, 10)] + [date(2026, 11, 16) + timedelta(d) for d in range(7)]
    assert list(card.trend.days) == expected_days
    [series] = card.trend.series  # no DIEM spend: no DIEM series
    assert series.name == "USD"
    assert series.values == (D("0.25"), 0, 0, D("0.5"), 0, 0, 0, D("1"))
    assert series.total == "$1.75"
    assert len(card.data["days"]) == 8


async def test_trend_has_a_series_per_currency_with_spend():
    card, _ = await run("7d", usage([day("2026-11-21", "0", "2"), day("2026-11-22", "1", "0")]))
    assert [s.name for s in card.trend.series] == ["USD", "DIEM"]
    assert card.trend.series[1].total == "2.00 DIEM"


async def test_duplicate_day_rows_are_added():
    card, _ = await run("7d", usage([day("2026-11-22", "0.1"), day("2026-11-22", "0.2")]))
    assert card.trend.series[0].values[-1] == D("0.3")


async def test_top_models_ranked_by_spend_not_venice_order():
    models = [
        model("Cheap", "0.10", "0"),
        model("Dear", "1.00", "5.00"),
        model("Middle", "0", "2.00"),
        model("Also middle", "2.00", "0"),  # tie with Middle: by name
        model("Tiny", "0.01", "0"),
        model("Tinier", "0.001", "0"),
        model("Tiniest", "0", "0.0001"),
    ]
    card, _ = await run("7d", usage([day("2026-11-22", "3.111", "7.0001")], models))
    [table] = card.tables
    names = [row.cells[1] for row in table.rows]
    assert names == ["Dear", "Also middle", "Middle", "Cheap", "Tiny"]
    assert table.omitted == 2
    assert table.omitted_note == "<$0.01 · <0.01 DIEM"
    assert table.rows[0].cells[2:] == ("$1.00", "5.00 DIEM", "59.3%")
    assert [m["model"] for m in card.data["top_models"]] == names


@pytest.mark.parametrize(
    ("period_text", "compared"),
    [("30d", True), ("7d", True), ("45d", True), ("60d", False), ("90d", False)],
)
async def test_previous_period_compared_only_when_venice_holds_it(period_text, compared):
    period = parse_period(period_text, TODAY)
    src = source(usage_answer=usage([day("2026-11-22", "2", "1")]))
    card = await usage_command.handle(Invocation("usage", period=period), context(src))
    assert len(src.requests) == (2 if compared else 1)
    assert has_field(card, "Change vs previous") is compared
    assert (card.data["previous"] is not None) is compared


async def test_change_against_previous_30_days():
    current = usage([day("2026-11-22", "12", "3")])
    before = usage([day("2026-10-01", "10", "0"), day("2026-10-02", "0.5", "0")])
    card, src = await run("30d", current, before)
    assert PREVIOUS_30 in src.requests
    assert field_value(card, "Change vs previous 30 days") == "USD +14.3% · DIEM new"
    assert card.data["previous"]["total"] == {"usd": D("10.5"), "diem": D("0")}
    assert card.data["previous"]["period"]["start"] == date(2026, 9, 24)


async def test_previous_failure_leaves_a_note():
    card, _ = await run(
        "30d",
        usage([day("2026-11-22", "1")]),
        QueryTimedOut("Venice's query timed out. Try a shorter period."),
    )
    assert not has_field(card, "Change vs")
    assert card.data["previous"] is None
    assert any("comparison unavailable" in note for note in card.notes)
    assert field_value(card, "Total USD") == "$1.00"


async def test_main_failure_fails_the_command():
    src = source(usage_for={PREVIOUS_30: usage()}, usage_answer=BadKey("Bad key."))
    result = await answer_text("usage 30d", context(src))
    assert result.outcome == "failed"


async def test_main_and_previous_are_fetched_concurrently():
    both_started = asyncio.Barrier(2)

    class Waiting:
        async def balance(self, deadline):
            raise AssertionError("usage does not need the balance")

        async def usage(self, query, deadline):
            await asyncio.wait_for(both_started.wait(), 2)
            return Fetched(usage([day("2026-11-22", "1")]), FETCHED_AT)

    period = parse_period("30d", TODAY)
    card = await usage_command.handle(Invocation("usage", period=period), context(Waiting()))
    # No DIEM in either period: the change says nothing about it.
    assert field_value(card, "Change vs previous 30 days") == "USD 0.0%"


@pytest.mark.parametrize(
    ("period_text", "summary"),
    [
        ("7d", "No usage between 2026-11-16 and 2026-11-22."),
        ("today", "No usage on 2026-11-22."),
        ("2026-10-01..2026-10-31", "No usage between 2026-10-01 and 2026-10-31."),
    ],
)
async def test_empty_period(period_text, summary):
    period = parse_period(period_text, TODAY)
    src = source(usage_answer=usage([day("2026-11-22", "0", "0")], [model("Zero")]))
    card = await usage_command.handle(Invocation("usage", period=period), context(src))
    assert card.summary == summary
    assert card.fields == ()
    assert card.tables == ()
    assert card.trend is None
    assert card.footer.as_of == FETCHED_AT


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("usage", "Venice usage · last 7 days"),
        ("usage 30d", "Venice usage · last 30 days"),
        ("usage last-month", "Venice usage · last month"),
        ("usage 2026-10-01..2026-10-31", "Venice usage · 2026-10-01 to 2026-10-31"),
    ],
)
async def test_through_the_core(text, title):
    src = source(usage_answer=usage([day("2026-11-22", "1", "1")], [model("M", "1", "1")]))
    result = await answer_text(text, context(src))
    assert result.outcome == "answered"
    assert result.card.title == title


async def test_no_dollar_sign_before_diem():
    models = [model(f"M{i}", "0.004", str(i)) for i in range(8)]
    card, _ = await run(
        "30d", usage([day("2026-11-22", "0.001", "12.5")], models), usage([day("2026-10-02", "1")])
    )
    texts = card_strings(card)
    assert any("DIEM" in t for t in texts)
    for text in texts:
        assert not re.search(DOLLAR_DIEM, text), text


@pytest.mark.parametrize(
    ("period_text", "label", "note"),
    [
        ("today", None, "No change figure: today (UTC) is not over (it is 14:03 UTC)"),
        ("yesterday", "Change vs the day before", None),
        ("2026-11-20..2026-11-20", "Change vs the day before", None),
        ("7d", "Change vs previous 7 days", "counts today (UTC) so far; the previous 7"),
        ("this-month", "Change vs previous 22 days", "counts today (UTC) so far"),
        ("last-month", "Change vs previous 31 days", None),
        ("60d", None, "the 60 days before this period go back further than the 90 days Venice"),
    ],
)
async def test_what_the_change_compares_is_said(period_text, label, note):
    card, src = await run(period_text, usage([day("2026-11-22", "2", "1")]))
    changes = [field.label for field in card.fields if field.label.startswith("Change vs")]
    assert changes == ([label] if label else [])
    assert len(src.requests) == (2 if label else 1)  # today alone: nothing to fetch for it
    notes = [text for text in card.notes if "change" in text.lower()]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1
        assert note in notes[0]


@pytest.mark.parametrize(
    ("rows", "models", "shown", "hidden"),
    [
        # USD only: no DIEM total, average, column or remainder.
        (
            [("2026-11-22", "3.5", "0")],
            [model("A", "3", "0"), model("B", "0.5", "0")],
            ["Total USD"],
            "DIEM",
        ),
        # DIEM only: no USD anywhere, and no `$`.
        ([("2026-11-22", "0", "4")], [model("A", "0", "4")], ["Total DIEM"], "$"),
    ],
)
async def test_a_one_currency_account_shows_one_currency(rows, models, shown, hidden):
    card, _ = await run("7d", usage([day(*row) for row in rows], models))
    assert [f.label for f in card.fields if f.label.startswith("Total")] == shown
    for text in card_strings(card):
        assert hidden not in text, text
    [table] = card.tables
    assert [column.title for column in table.columns] == ["#", "Model", shown[0][6:], "Share"]


async def test_rows_that_do_not_add_up_to_the_total_once_rounded_say_so():
    models = [model("A", "0.005", "0"), model("B", "0.005", "0")]  # $0.01 each, $0.01 in all
    card, _ = await run("7d", usage([day("2026-11-22", "0.01", "0")], models))
    assert [row.cells[2] for row in card.tables[0].rows] == ["$0.01", "$0.01"]
    assert card.footer.note == "Rows rounded to the cent."
    exact, _ = await run("7d", usage([day("2026-11-22", "0.02", "0")], [model("A", "0.02")]))
    assert exact.footer.note is None
