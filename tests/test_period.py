"""PERIOD parsing: every form at a fixed today, and the exact sentence for each mistake."""

from __future__ import annotations

from datetime import date

import pytest

from bot.command_text import parse_command
from bot.errors import CommandTextError
from bot.period import parse_period
from bot.registry import COMMANDS

TODAY = date(2026, 11, 22)
D = date.fromisoformat


@pytest.mark.parametrize(
    ("text", "start", "end", "query"),
    [
        ("7d", "2026-11-16", "2026-11-22", {"lookback": "7d"}),
        ("1d", "2026-11-22", "2026-11-22", {"lookback": "1d"}),
        ("30d", "2026-10-24", "2026-11-22", {"lookback": "30d"}),
        ("90d", "2026-08-25", "2026-11-22", {"lookback": "90d"}),
        ("30D", "2026-10-24", "2026-11-22", {"lookback": "30d"}),
        ("  30d  ", "2026-10-24", "2026-11-22", {"lookback": "30d"}),
        ("007d", "2026-11-16", "2026-11-22", {"lookback": "7d"}),
        ("today", "2026-11-22", "2026-11-22", {"startDate": "2026-11-22", "endDate": "2026-11-22"}),
        ("TODAY", "2026-11-22", "2026-11-22", {"startDate": "2026-11-22", "endDate": "2026-11-22"}),
        (
            "yesterday",
            "2026-11-21",
            "2026-11-21",
            {"startDate": "2026-11-21", "endDate": "2026-11-21"},
        ),
        (
            "this-month",
            "2026-11-01",
            "2026-11-22",
            {"startDate": "2026-11-01", "endDate": "2026-11-22"},
        ),
        (
            "last-month",
            "2026-10-01",
            "2026-10-31",
            {"startDate": "2026-10-01", "endDate": "2026-10-31"},
        ),
        (
            "2026-10-01..2026-10-31",
            "2026-10-01",
            "2026-10-31",
            {"startDate": "2026-10-01", "endDate": "2026-10-31"},
        ),
        (
            "2026-11-22..2026-11-22",
            "2026-11-22",
            "2026-11-22",
            {"startDate": "2026-11-22", "endDate": "2026-11-22"},
        ),
        (
            "2026-08-25..2026-11-22",
            "2026-08-25",
            "2026-11-22",
            {"startDate": "2026-08-25", "endDate": "2026-11-22"},
        ),
    ],
)
def test_valid_periods_become_venice_queries(text, start, end, query):
    period = parse_period(text, TODAY)
    assert (period.start, period.end) == (D(start), D(end))
    assert period.query() == query
    assert period.days == (D(end) - D(start)).days + 1


@pytest.mark.parametrize(
    ("text", "today", "start", "end"),
    [
        ("last-month", "2026-01-15", "2025-12-01", "2025-12-31"),
        ("last-month", "2028-03-01", "2028-02-01", "2028-02-29"),
        ("this-month", "2026-03-01", "2026-03-01", "2026-03-01"),
        ("yesterday", "2026-01-01", "2025-12-31", "2025-12-31"),
        ("2028-02-28..2028-03-01", "2028-03-05", "2028-02-28", "2028-03-01"),
        ("90d", "2028-03-01", "2027-12-03", "2028-03-01"),
    ],
)
def test_calendar_edges(text, today, start, end):
    period = parse_period(text, D(today))
    assert (period.start, period.end) == (D(start), D(end))


NOT_A_PERIOD = (
    "is not a period: use `7d` (1-90 days), `2026-10-01..2026-10-31`, `today`, `yesterday`, "
    "`this-month` or `last-month`."
)
OUT_OF_RANGE = "Venice keeps 90 days of usage: choose between 1d and 90d."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0d", OUT_OF_RANGE),
        ("91d", OUT_OF_RANGE),
        ("1000000000000d", OUT_OF_RANGE),
        ("9" * 400 + "d", OUT_OF_RANGE),
        (
            "2026-02-30..2026-03-01",
            "2026-02-30 is not a calendar date: write dates as YYYY-MM-DD.",
        ),
        (
            "2026-11-10..2026-11-01",
            "The range ends before it starts: put the earlier date first.",
        ),
        (
            "2026-11-01..2026-11-23",
            "2026-11-23 is in the future: the range must end today (2026-11-22) or earlier.",
        ),
        (
            "2026-08-24..2026-11-22",
            "That range spans 91 days; Venice answers at most 90 at a time.",
        ),
        (
            "2026-11-01",
            "`2026-11-01` is a single date: a range needs two dates joined by `..`.",
        ),
        (
            "2026-11-01..",
            "`2026-11-01..` is not a date range: write it as YYYY-MM-DD..YYYY-MM-DD.",
        ),
        (
            "2026-1-01..2026-01-02",
            "`2026-1-01..2026-01-02` is not a date range: write it as YYYY-MM-DD..YYYY-MM-DD.",
        ),
        ("7days", f"`7days` {NOT_A_PERIOD}"),
        ("-7d", f"`-7d` {NOT_A_PERIOD}"),
        ("d", f"`d` {NOT_A_PERIOD}"),
        ("٣d", f"`٣d` {NOT_A_PERIOD}"),
        ("³d", f"`³d` {NOT_A_PERIOD}"),
        ("７d", f"`７d` {NOT_A_PERIOD}"),
        (
            "٢٠٢٦-١١-٠١..٢٠٢٦-١١-٠٢",
            "`٢٠٢٦-١١-٠١..٢٠٢٦-١١-٠٢` is not a date range: write it as YYYY-MM-DD..YYYY-MM-DD.",
        ),
        ("", "Give a period: " + NOT_A_PERIOD.removeprefix("is not a period: use ")),
        ("   ", "Give a period: " + NOT_A_PERIOD.removeprefix("is not a period: use ")),
        ("7d`x", f"`7d?x` {NOT_A_PERIOD}"),
        ("\x1b[2j", f"`?[2j` {NOT_A_PERIOD}"),
        ("x" * 60, f"`{'x' * 39}…` {NOT_A_PERIOD}"),
    ],
)
def test_invalid_periods_say_exactly_what_is_wrong(text, message):
    with pytest.raises(CommandTextError) as caught:
        parse_period(text, TODAY)
    assert caught.value.message == message


@pytest.mark.parametrize(
    "text",
    [
        "0d",
        "91d",
        "2026-02-30..2026-03-01",
        "2026-11-10..2026-11-01",
        "2026-11-01..2026-11-23",
        "2026-08-24..2026-11-22",
        "2026-11-01",
        "2026-1-01..2026-01-02",
        "7days",
    ],
)
def test_the_suggested_example_is_itself_a_valid_command(text):
    with pytest.raises(CommandTextError) as caught:
        parse_period(text, TODAY)
    example = caught.value.example
    assert example
    invocation = parse_command(example, COMMANDS, TODAY)
    assert invocation.period is not None


def test_previous_period_only_when_venice_still_holds_it():
    period = parse_period("30d", TODAY)
    previous = period.previous(TODAY)
    assert previous is not None
    assert (previous.start, previous.end) == (D("2026-09-24"), D("2026-10-23"))
    assert parse_period("60d", TODAY).previous(TODAY) is None


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("30d", "last 30 days (2026-10-24 to 2026-11-22)"),
        ("today", "today (2026-11-22)"),
        ("2026-10-01..2026-10-31", "2026-10-01 to 2026-10-31"),
    ],
)
def test_describe(text, described):
    assert parse_period(text, TODAY).describe() == described
