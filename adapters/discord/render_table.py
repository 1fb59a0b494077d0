"""A ranked table as a code block with aligned columns, cut to a character budget.

Discord draws code blocks in a monospace font, so columns line up; nothing in a code block is
markdown, so cells need only their backticks neutralised. Detail rows (level 1) are indented
under their row and always kept or cut together with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.discord.escape import card_markdown, code_text
from adapters.discord.render_limits import fit, size
from bot.cards import Table
from bot.layout.bidi import isolate
from bot.layout.text import clip, display_width, pad

# About the width of a code block in an embed on a desktop client; wider lines wrap.
WIDTH = 60
GAP = "  "
NARROW_GAP = " "  # when the table is too wide: numbers are right-aligned, one space will do
MIN_COLUMN = 4
RULE = "─"
NOTHING = "(nothing to show)"
FENCE = "```"


@dataclass(frozen=True, slots=True)
class TableLayout:
    """A table made printable once: cells, GROUPS (row ranges: a row and its detail rows), and
    the widths and gap that fit every row."""

    table: Table
    titles: list[str]
    aligns: list[str]
    cells: list[list[str]]
    groups: list[tuple[int, int]]
    widths: list[int]
    gap: str


def layout(table: Table) -> TableLayout:
    """TABLE's cells made printable and measured, ready to be cut to any budget."""
    # A table without columns still shows its cells, under blank headings.
    count = len(table.columns) or max((len(row.cells) for row in table.rows), default=0)
    titles = [code_text(column.title).strip() for column in table.columns] or [""] * count
    aligns: list[str] = [column.align for column in table.columns] or ["left"] * count
    name_column = aligns.index("left") if "left" in aligns else 0
    cells: list[list[str]] = []
    groups: list[tuple[int, int]] = []
    for index, row in enumerate(table.rows):
        line = [code_text(cell).strip() for cell in (*row.cells, *[""] * count)[:count]]
        if row.level > 0 and line:
            line[name_column] = "  " * min(row.level, 4) + line[name_column]
        cells.append(line)
        if row.level > 0 and groups:
            groups[-1] = (groups[-1][0], index + 1)
        else:
            groups.append((index, index + 1))
    widths, gap = _widths(titles, aligns, cells)
    return TableLayout(table, titles, aligns, cells, groups, widths, gap)


def table_block(prepared: TableLayout, budget: int) -> str:
    """The table as `**title**`, a code block and `… and N more`, at most BUDGET characters;
    whole rows are cut from the end to fit, and "" when not even the heading fits."""
    table = prepared.table
    title = table.title.strip()
    heading = f"**{fit(title, min(budget, 256), card_markdown)}**\n" if title else ""
    # Measured in the widths of all rows: fewer rows are never wider, so what fits here fits.
    widths, gap = prepared.widths, prepared.gap
    lines: list[str] = []
    fixed = size(heading) + size(_code(prepared, [], widths, gap))
    used = fixed
    keep = 0
    total = len(prepared.groups)
    # The longest `… and N more` line: while it fits too, the exact one need not be made.
    reserve = size(_more(table, total))
    for count, (start, end) in enumerate(prepared.groups, start=1):
        group = [_line(cells, widths, prepared.aligns, gap) for cells in prepared.cells[start:end]]
        used += sum(size(line) + 1 for line in group)
        if used + reserve > budget and used + size(_more(table, total - count)) > budget:
            break
        lines.extend(group)
        keep = count
    more = _more(table, len(prepared.groups) - keep)
    if keep == 0 and fixed + size(more) > budget:
        return ""
    # The rows kept may need narrower columns than all of them did.
    kept = prepared.cells[: len(lines)]
    narrow, narrow_gap = _widths(prepared.titles, prepared.aligns, kept)
    if narrow != widths or narrow_gap != gap:
        shorter = [_line(cells, narrow, prepared.aligns, narrow_gap) for cells in kept]
        block = heading + _code(prepared, shorter, narrow, narrow_gap)
        if size(block + more) <= budget:  # a wider gap may not fit: then keep the measure
            return block + more
    return heading + _code(prepared, lines, widths, gap) + more


def _widths(titles: list[str], aligns: list[str], cells: list[list[str]]) -> tuple[list[int], str]:
    natural = [
        max([display_width(titles[i])] + [display_width(line[i]) for line in cells])
        for i in range(len(titles))
    ]
    gap = GAP if sum(natural) + len(GAP) * (len(titles) - 1) <= WIDTH else NARROW_GAP
    return _fit(natural, aligns, gap), gap


def _code(prepared: TableLayout, lines: list[str], widths: list[int], gap: str) -> str:
    if not prepared.titles:
        return f"{FENCE}\n{NOTHING}\n{FENCE}"
    body = [
        _line(prepared.titles, widths, prepared.aligns, gap),
        gap.join(RULE * width for width in widths).rstrip(),
        *lines,
    ]
    if not prepared.cells:
        body.append(NOTHING)
    return FENCE + "\n" + "\n".join(body) + "\n" + FENCE


def _more(table: Table, cut: int) -> str:
    more = table.omitted + cut
    if more <= 0:
        return ""
    note = (table.omitted_note or "").strip()
    if note and cut == 0:
        text = f"… and {more} more ({note})"
    elif note:
        # The note adds up only the rows Venice's ranking left out, which are the last ones.
        text = f"… and {more} more (the last {table.omitted}: {note})"
    else:
        text = f"… and {more} more"
    return "\n" + fit(text, 300, card_markdown)


def _fit(widths: list[int], aligns: list[str], gap: str) -> list[int]:
    """Narrow the widest text columns until the table is WIDTH wide; numbers only if need be."""
    widths = list(widths)
    overflow = sum(widths) + len(gap) * (len(widths) - 1) - WIDTH
    while overflow > 0:
        text = [i for i, w in enumerate(widths) if aligns[i] == "left" and w > MIN_COLUMN * 2]
        candidates = text or [i for i, w in enumerate(widths) if w > MIN_COLUMN]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        floor = MIN_COLUMN * 2 if text else MIN_COLUMN
        others = max((widths[i] for i in candidates if i != widest), default=floor)
        step = max(1, min(overflow, widths[widest] - max(others, floor)))
        widths[widest] -= step
        overflow -= step
    return widths


def _line(cells: list[str], widths: list[int], aligns: list[str], gap: str) -> str:
    return gap.join(
        pad(_shown(clip(cell, width), align), width, align)
        for cell, width, align in zip(cells, widths, aligns, strict=True)
    ).rstrip()


def _shown(cell: str, align: str) -> str:
    # Names (the text columns) isolated, so right-to-left ones keep the figures in place; between
    # left-to-right marks, in case Discord drops the isolates (bot/layout/bidi.py).
    return isolate(cell, marks=True) if align == "left" else cell
