"""Ranked tables and trends as monospace code blocks: Slack's only way to align columns."""

from __future__ import annotations

from adapters.slack.escape import escape_code, escape_prose
from adapters.slack.render_limits import clip_line, fit, one_line
from adapters.slack.render_sections import Packed, Tail
from bot.cards import Table, Trend
from bot.layout.bidi import isolate
from bot.layout.sparkline import render_trend
from bot.layout.text import display_width, pad

GAP = "  "
# Column widths in cells: names give way first, numbers are short anyway. Mobile clients wrap
# code blocks wider than about 45 cells; desktop shows about 100.
TEXT_COLUMN = 40
NUMBER_COLUMN = 16
LINE_CELLS = 160
TREND_WIDTH = 64
HEADING_CHARS = 300
# Rows past this could never fit in 100 blocks of 3000 characters at any useful width: they are
# counted with the cut rows instead of being laid out first.
MAX_ROWS = 1000
NOTE_CHARS = 300


def heading(title: str) -> str | None:
    """`*Title*` in mrkdwn, or None for a blank title."""
    title = " ".join(title.split())
    return f"*{fit(title, HEADING_CHARS, escape_prose)}*" if title else None


def table_packed(table: Table) -> Packed:
    """The table as aligned rows in a code block, detail rows indented under their parent."""
    rows = table.rows[:MAX_ROWS]
    lines = table_lines(Table(table.title, table.columns, rows))
    tail = _table_tail(table, unlisted=len(table.rows) - len(rows))
    return Packed(heading(table.title), lines, code=True, tail=tail)


def table_lines(table: Table) -> list[str]:
    """Title row, a rule, and one line per row: escaped for a code block."""
    count = len(table.columns)
    aligns: list[str] = [column.align for column in table.columns]
    # A detail row sits under its parent: indent its first text column (the name, not the rank).
    name_column = aligns.index("left") if "left" in aligns else 0
    limits = [TEXT_COLUMN if align == "left" else NUMBER_COLUMN for align in aligns]
    titles = [
        one_line(column.title, limit) for column, limit in zip(table.columns, limits, strict=True)
    ]
    rows: list[list[str]] = []
    for row in table.rows:
        cells = [*row.cells, *[""] * count][:count]
        indent = "  " * max(0, min(row.level, 4))
        shown = [one_line(cell, limits[i]) for i, cell in enumerate(cells)]
        # Names (the text columns) isolated, so right-to-left ones keep the figures in place.
        shown = [
            isolate(cell) if align == "left" else cell
            for cell, align in zip(shown, aligns, strict=True)
        ]
        if indent and shown:
            shown[name_column] = indent + shown[name_column]
        rows.append(shown)
    widths = [
        max([display_width(titles[i])] + [display_width(cells[i]) for cells in rows])
        for i in range(count)
    ]
    lines: list[str] = []
    if count:
        lines.append(_line(titles, widths, aligns))
        lines.append(GAP.join("─" * width for width in widths))
        lines.extend(_line(cells, widths, aligns) for cells in rows)
    if not table.rows:
        lines.append("(nothing to show)")
    # Cells are sanitised already: the line is only cut, so the isolates around names stay.
    return [escape_code(clip_line(line, LINE_CELLS)) for line in lines]


def trend_packed(trend: Trend) -> Packed:
    """One sparkline per series with its total, under the trend's title (the console's lines)."""
    untitled = Trend(title="", days=trend.days, series=trend.series)
    drawn = render_trend(untitled, TREND_WIDTH)
    lines = [escape_code(one_line(line, LINE_CELLS, keep_indent=True)) for line in drawn]
    return Packed(heading(trend.title), lines, code=True)


def _line(cells: list[str], widths: list[int], aligns: list[str]) -> str:
    return GAP.join(
        pad(cell, width, align) for cell, width, align in zip(cells, widths, aligns, strict=True)
    ).rstrip()


def _table_tail(table: Table, *, unlisted: int) -> Tail:
    omitted = max(0, table.omitted)
    note = " ".join((table.omitted_note or "").split())
    beyond = f"… and {omitted} more" + (f" ({note})" if note else "") if omitted else ""

    def tail(cut: int) -> list[str]:
        lines = []
        cut += unlisted
        if cut:
            lines.append(f"… and {cut} more rows: too long for one Slack message")
        if beyond:
            lines.append(fit(beyond, NOTE_CHARS, escape_prose))
        return lines

    return tail
