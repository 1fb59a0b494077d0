"""The shared wording, by table: times, staleness, the footer line, the meter, `… and N more`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bot.cards import Footer, Stale
from bot.layout.wording import and_more, as_of, clock, filled_cells, footer_line, stale_line

NOON = datetime(2026, 11, 22, 14, 1, 30, tzinfo=UTC)
MADRID = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("moment", "with_date", "text"),
    [
        (NOON, True, "2026-11-22 14:01 UTC"),
        (NOON, False, "14:01 UTC"),
        (datetime(2026, 11, 22, 14, 1), True, "2026-11-22 14:01 UTC"),  # naive: UTC
        (datetime(2026, 11, 23, 0, 30, tzinfo=MADRID), True, "2026-11-22 23:30 UTC"),
    ],
)
def test_clock(moment: datetime, with_date: bool, text: str) -> None:
    assert clock(moment, with_date=with_date) == text


def test_as_of_always_has_its_date() -> None:
    assert as_of(NOON) == "As of 2026-11-22 14:01 UTC"


@pytest.mark.parametrize(
    ("footer", "line"),
    [
        (Footer(as_of=NOON), None),
        (
            Footer(as_of=NOON, stale=Stale(NOON - timedelta(minutes=21), "Venice is failing")),
            "Stale: data from 13:40 UTC — Venice is failing",
        ),
        (
            Footer(as_of=NOON, stale=Stale(NOON - timedelta(days=1), "  ")),
            "Stale: data from 2026-11-21 14:01 UTC",  # another day: with its date
        ),
        (
            Footer(stale=Stale(NOON, "timeout")),  # no As of: the stale time is the reference
            "Stale: data from 14:01 UTC — timeout",
        ),
    ],
)
def test_stale_line(footer: Footer, line: str | None) -> None:
    assert stale_line(footer, str.strip) == line


@pytest.mark.parametrize(
    ("footer", "line"),
    [
        (Footer(), ""),
        (Footer(as_of=NOON), "As of 2026-11-22 14:01 UTC"),
        (Footer(as_of=NOON, note=" last 7 days "), "As of 2026-11-22 14:01 UTC · last 7 days"),
        (Footer(note="last 7 days"), "last 7 days"),
        (Footer(as_of=NOON, note="   "), "As of 2026-11-22 14:01 UTC"),
    ],
)
def test_footer_line(footer: Footer, line: str) -> None:
    assert footer_line(footer, str.strip) == line


@pytest.mark.parametrize(
    ("fraction", "cells", "filled"),
    [
        ("0", 20, 0),
        ("0.0001", 20, 1),  # any use at all shows
        ("0.025", 20, 1),  # 0.5 cells round up
        ("0.5", 10, 5),
        ("0.62", 20, 12),
        ("1", 20, 20),
        ("1.7", 20, 20),  # over the allocation: full, never more
        ("-0.2", 20, 0),
    ],
)
def test_filled_cells(fraction: str, cells: int, filled: int) -> None:
    assert filled_cells(Decimal(fraction), cells) == filled


def test_and_more() -> None:
    assert and_more(3) == "… and 3 more"
    assert and_more(2, "$0.05 · 0.00 DIEM") == "… and 2 more ($0.05 · 0.00 DIEM)"
