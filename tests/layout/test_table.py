"""The shared table layout: columns aligned in display cells whatever the names are made of."""

from __future__ import annotations

import pytest

from bot.cards import Row
from bot.layout.bidi import FSI, LRM, PDI, isolate
from bot.layout.table import (
    fit_widths,
    indent_detail,
    name_column,
    natural_widths,
    row_cells,
    rule,
    table_line,
)
from bot.layout.text import display_width

ALIGNS = ["right", "left", "right"]
TITLES = ["#", "Key", "USD"]
NAMES = {
    "ascii": "production",
    "cjk": "生产密钥",
    "zwj emoji": "👩\u200d💻 dev",
    "combining": "Cafe\u0301 key",
    "rtl": "מפתח ראשי",
    "flag": "🇪🇸 madrid",
}


def lines_of(rows: list[list[str]], *, room: int = 80, name=str) -> list[str]:
    widths = fit_widths(natural_widths(TITLES, rows), ALIGNS, room)
    return [
        table_line(TITLES, widths, ALIGNS, name=name),
        rule(widths),
        *(table_line(cells, widths, ALIGNS, name=name) for cells in rows),
    ]


def figure_column(line: str) -> int:
    """The cell where the line's last figure ends: equal on every line when columns align."""
    return display_width(line)


@pytest.mark.parametrize("kind", sorted(NAMES))
def test_the_figures_line_up_under_any_name(kind: str) -> None:
    rows = [["1", NAMES[kind], "$32.50"], ["2", "short", "$1.00"]]
    lines = lines_of(rows)
    assert len({figure_column(line) for line in lines}) == 1, lines
    # The name column is as wide as its widest name, in cells.
    assert lines[1].split("  ")[1] == "─" * max(display_width(NAMES[kind]), len("short"))


def test_every_kind_of_name_in_one_table() -> None:
    rows = [[str(i), name, f"${i}.00"] for i, name in enumerate(NAMES.values(), start=1)]
    lines = lines_of(rows)
    assert len({figure_column(line) for line in lines}) == 1, lines


@pytest.mark.parametrize("marks", [False, True])
def test_isolated_rtl_names_take_no_extra_cells(marks: bool) -> None:
    rows = [["1", NAMES["rtl"], "$32.50"], ["2", NAMES["ascii"], "$1.00"]]
    plain = lines_of(rows)
    isolated = lines_of(rows, name=lambda cell: isolate(cell, marks=marks))
    assert [figure_column(line) for line in isolated] == [figure_column(line) for line in plain]
    rtl_line = isolated[2]
    opened = f"{LRM}{FSI}" if marks else FSI
    closed = f"{PDI}{LRM}" if marks else PDI
    assert f"{opened}{NAMES['rtl']}{closed}" in rtl_line
    assert isolated[3] == plain[3]  # a left-to-right name is left as it is


def test_a_narrow_table_cuts_names_first_never_inside_a_cluster() -> None:
    rows = [["1", "👩\u200d💻" * 10, "$32.50"], ["2", "生产密钥生产密钥", "$1.00"]]
    lines = lines_of(rows, room=20)
    assert all(display_width(line) <= 20 for line in lines), lines
    assert "$32.50" in lines[2]  # numbers kept whole
    assert "$1.00" in lines[3]
    assert "\u200d…" not in lines[2]  # no half emoji before the cut
    assert len({figure_column(line) for line in lines}) == 1, lines


@pytest.mark.parametrize(
    ("widths", "aligns", "room", "text_floor", "fitted"),
    [
        ([1, 30, 6], ALIGNS, 80, 4, [1, 30, 6]),  # fits: unchanged
        ([1, 30, 6], ALIGNS, 20, 4, [1, 9, 6]),  # the name gives way
        ([1, 30, 6], ALIGNS, 15, 4, [1, 4, 6]),  # down to its floor before numbers shrink
        ([1, 30, 6], ALIGNS, 19, 8, [1, 8, 6]),  # a higher floor for the text
        ([1, 30, 6], ALIGNS, 10, 4, [1, 4, 4]),  # then numbers, never below MIN_COLUMN
        ([12, 12], ["right", "right"], 20, 4, [9, 9]),  # numbers only when there is no text
    ],
)
def test_fit_widths(
    widths: list[int], aligns: list[str], room: int, text_floor: int, fitted: list[int]
) -> None:
    assert fit_widths(widths, aligns, room, text_floor=text_floor) == fitted


def test_detail_rows_indent_the_name_column() -> None:
    aligns = ["right", "left", "right"]
    assert name_column(aligns) == 1
    assert name_column(["right", "right"]) == 0
    cells = row_cells(Row(("", "input tokens", "$1.00"), level=1), 3)
    assert indent_detail(cells, 1, 1) == ["", "  input tokens", "$1.00"]
    assert indent_detail(["a"], 9, 0) == ["        a"]  # four levels at most
    assert row_cells(Row(("1",)), 3) == ["1", "", ""]
    assert row_cells(Row(("1", "2", "3", "4")), 3) == ["1", "2", "3"]
