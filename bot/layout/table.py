"""A table's columns laid out in display cells, the same on every platform: names left, figures
right, a rule under the titles, detail rows indented under their row, and text columns giving
way before numbers when the table is too wide.

Renderers make each cell printable in their own way first (a code block's backticks, Slack's
length caps) and escape the finished lines; the layout itself is written here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.cards import Row
from bot.layout.text import clip, display_width, pad

GAP = "  "
RULE = "─"
MIN_COLUMN = 4
NOTHING_TO_SHOW = "(nothing to show)"
# A detail row (a token type under its model) is indented two cells a level, four levels at most.
INDENT = "  "
MAX_LEVEL = 4


def name_column(aligns: Sequence[str]) -> int:
    """The column a detail row is indented in: the first text column (the name, not the rank)."""
    return aligns.index("left") if "left" in aligns else 0


def row_cells(row: Row, count: int) -> list[str]:
    """ROW's cells, exactly COUNT of them: missing ones blank, extra ones dropped."""
    return [*row.cells, *[""] * count][:count]


def indent_detail(cells: list[str], level: int, column: int) -> list[str]:
    """CELLS with the name in COLUMN indented for a detail row of LEVEL (0: as they are)."""
    indent = INDENT * max(0, min(level, MAX_LEVEL))
    if indent and cells:
        cells[column] = indent + cells[column]
    return cells


def natural_widths(titles: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's width in cells: its widest title or cell."""
    return [
        max([display_width(titles[i])] + [display_width(cells[i]) for cells in rows])
        for i in range(len(titles))
    ]


def fit_widths(
    widths: Sequence[int],
    aligns: Sequence[str],
    room: int,
    *,
    gap: str = GAP,
    text_floor: int = MIN_COLUMN,
) -> list[int]:
    """Shrink the widest text columns until the table is at most ROOM cells wide (never below
    TEXT_FLOOR); numbers shrink only as a last resort, never below MIN_COLUMN."""
    widths = list(widths)
    overflow = sum(widths) + len(gap) * (len(widths) - 1) - room
    while overflow > 0:
        text = [i for i, w in enumerate(widths) if aligns[i] == "left" and w > text_floor]
        candidates = text or [i for i, w in enumerate(widths) if w > MIN_COLUMN]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        floor = text_floor if text else MIN_COLUMN
        others = max((widths[i] for i in candidates if i != widest), default=floor)
        step = max(1, min(overflow, widths[widest] - max(others, floor)))
        widths[widest] -= step
        overflow -= step
    return widths


def rule(widths: Sequence[int], gap: str = GAP) -> str:
    """The line under the titles: `──  ─────  ────`."""
    return gap.join(RULE * width for width in widths)


def table_line(
    cells: Sequence[str],
    widths: Sequence[int],
    aligns: Sequence[str],
    gap: str = GAP,
    *,
    name: Callable[[str], str] = str,
) -> str:
    """One row: each cell cut to its column (`…`) and padded to it, left or right aligned; NAME
    is applied to the text columns' cells after the cut (a platform's bidi isolation)."""
    shown = []
    for cell, width, align in zip(cells, widths, aligns, strict=True):
        cut = clip(cell, width)
        shown.append(pad(name(cut) if align == "left" else cut, width, align))
    return gap.join(shown).rstrip()
