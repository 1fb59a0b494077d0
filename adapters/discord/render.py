"""Cards as Discord embeds: every part of a Card, within every one of Discord's embed limits.

The description holds the summary and the ranked tables (code blocks, where columns line up);
fields hold the card's figures, the meter, the trend and the notes; the footer says how old the
data is. Long lists are cut with `… and N more`: Discord never has a reason to refuse a reply.

The words and the table layout are the shared ones (bot/layout/); what is Discord's is here:
its limits, counted as Discord counts them and cut without breaking markdown; the embed's
colour for the card's tone; tables as code blocks cut to a character budget, whole rows at a
time (detail rows kept or cut with their row). Nothing in a code block is markdown, so cells
need only their backticks neutralised (escaping: adapters/discord/escape.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import discord

from adapters.discord.escape import card_markdown, code_text, plain_text
from bot.cards import Card, Footer, Meter, Table, Tone, Trend
from bot.layout.bidi import isolate
from bot.layout.sparkline import bucket, sparkline
from bot.layout.table import (
    GAP,
    MIN_COLUMN,
    NOTHING_TO_SHOW,
    fit_widths,
    indent_detail,
    name_column,
    natural_widths,
    row_cells,
    rule,
    table_line,
)
from bot.layout.wording import and_more, filled_cells, footer_line, stale_line, utc
from bot.money import format_fraction

# Discord's embed limits.
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000
ELLIPSIS = "…"


# The whole embed.

ALLOWED_MENTIONS = discord.AllowedMentions.none()

COLOURS = {
    Tone.INFO: discord.Colour.blurple(),
    Tone.GOOD: discord.Colour.brand_green(),
    Tone.WARNING: discord.Colour(0xF0B232),  # amber
    Tone.DANGER: discord.Colour.brand_red(),
}
BLANK = "\u200b"  # Discord refuses an empty field name or value
INLINE_MAX = 40
NOTES_NAME = "Notes"
PARAGRAPH = "\n\n"


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    value: str
    inline: bool = False

    @property
    def size(self) -> int:
        return size(self.name) + size(self.value)


def card_embed(card: Card) -> discord.Embed:
    """The card as one embed, within Discord's limits whatever the card holds."""
    title = fit(card.title.strip() or "(untitled)", TITLE, card_markdown)
    footer = fit(footer_text(card.footer), FOOTER, str)
    room = TOTAL - size(title) - size(footer)
    summary = card.summary.strip() if card.summary else ""
    layouts = [layout(table) for table in card.tables]
    # Each table as long as a description may be: what it would take if nothing else did.
    whole = [table_block(prepared, DESCRIPTION) for prepared in layouts]
    wanted = min(DESCRIPTION, _joined_size([card_markdown(summary), *whole]))
    # The description (what the reply is about) comes first; fields get what is left, and
    # never less than a third of the room when they need it.
    fields = _trim(_fields(card), max(room - wanted, room // 3))
    budget = min(DESCRIPTION, room - _size_of(fields))
    description = _description(summary, layouts, whole, budget)
    embed = discord.Embed(
        title=title,
        description=description or None,
        colour=COLOURS.get(card.tone, COLOURS[Tone.INFO]),
        timestamp=utc(card.footer.as_of) if card.footer.as_of is not None else None,
    )
    for field in fields:
        embed.add_field(name=field.name, value=field.value, inline=field.inline)
    if footer:
        embed.set_footer(text=footer)
    return embed


def _description(summary: str, layouts: list[TableLayout], whole: list[str], budget: int) -> str:
    """The summary, then each table cut to share what is left of BUDGET."""
    if not layouts:
        return fit(summary, budget, card_markdown)
    parts: list[str] = []
    if summary:
        wanted = size(card_markdown(summary))
        parts.append(fit(summary, min(wanted, max(budget // 2, 0)), card_markdown))
    for index, prepared in enumerate(layouts):
        left = budget - _joined_size(parts) - len(PARAGRAPH) * bool(parts)
        share = left // (len(layouts) - index)
        # The longest block that fits a description is the longest that fits any smaller share
        # it fits in: no need to cut it again.
        block = whole[index] if size(whole[index]) <= share else table_block(prepared, share)
        if share > 0 and block:
            parts.append(block)
    return PARAGRAPH.join(part for part in parts if part)


def _fields(card: Card) -> list[_Field]:
    extras: list[_Field] = []
    if card.meter is not None:
        name = fit(card.meter.label.strip(), FIELD_NAME, card_markdown)
        extras.append(_Field(name or BLANK, meter_value(card.meter)))
    if card.trend is not None:
        name = fit(card.trend.title.strip(), FIELD_NAME, card_markdown)
        extras.append(_Field(name or "Trend", trend_value(card.trend)))
    if notes := _notes(card.notes):
        extras.append(_Field(NOTES_NAME, notes))
    slots = FIELDS - len(extras)
    figures = [_figure(field.label, field.value) for field in card.fields]
    if len(figures) > slots:
        figures = [*figures[: slots - 1], _more(len(figures) - slots + 1)]
    return [*figures, *extras]


def _figure(label: str, value: str) -> _Field:
    name = fit(label.strip(), FIELD_NAME, card_markdown) or BLANK
    text = fit(value.strip(), FIELD_VALUE, card_markdown) or BLANK
    # Short figures sit side by side, three to a row; long ones take the whole width.
    return _Field(name, text, inline=size(name) <= INLINE_MAX and size(text) <= INLINE_MAX)


def _more(count: int) -> _Field:
    return _Field(BLANK, and_more(count))


def _notes(notes: tuple[str, ...]) -> str:
    lines: list[str] = []
    used = 0
    for note in (note.strip() for note in notes):
        if not note:
            continue
        left = FIELD_VALUE - used - len("\n") * bool(lines) - len("• ")
        line = fit(note, left, card_markdown) if left > 0 else ""
        if not line:
            break
        lines.append(f"• {line}")
        used += size(lines[-1]) + len("\n") * (len(lines) > 1)
    return "\n".join(lines)


def _trim(fields: list[_Field], budget: int) -> list[_Field]:
    """The first fields that fit BUDGET, then `… and N more` for the others."""
    if _size_of(fields) <= budget:
        return fields
    reserve = _more(len(fields)).size
    kept: list[_Field] = []
    used = 0
    for field in fields:
        if used + field.size > budget - reserve:
            break
        kept.append(field)
        used += field.size
    if budget - used >= reserve:
        kept.append(_more(len(fields) - len(kept)))
    return kept


def _size_of(fields: list[_Field]) -> int:
    return sum(field.size for field in fields)


def _joined_size(parts: list[str]) -> int:
    present = [part for part in parts if part]
    return sum(size(part) for part in present) + len(PARAGRAPH) * max(0, len(present) - 1)


# The meter, the trend and the footer.

METER_CELLS = 10
FILLED = "▓"
EMPTY = "░"
# Marks of a sparkline at most: about what a phone shows on one line.
MAX_MARKS = 30
# Enough for every currency; with labels of at most LABEL characters the field stays < 1024.
SERIES_SHOWN = 6
LABEL = 80


def meter_value(meter: Meter) -> str:
    """`▓▓▓▓▓▓░░░░ 62% used` and the caption under it."""
    fraction = meter.fraction if meter.fraction.is_finite() else Decimal(0)
    filled = filled_cells(fraction, METER_CELLS)
    if fraction < 1 and filled == METER_CELLS:
        filled = METER_CELLS - 1  # and a bar is full only when nothing is left
    bar = f"`{FILLED * filled}{EMPTY * (METER_CELLS - filled)}` {_percent(fraction)} used"
    caption = fit(meter.caption.strip(), FIELD_VALUE - len(bar) - 1, card_markdown)
    return f"{bar}\n{caption}" if caption else bar


def _percent(fraction: Decimal) -> str:
    # The same rounding as the card's summary and every other renderer (was whole percents).
    return format_fraction(fraction)


def trend_value(trend: Trend) -> str:
    """One `sparkline  NAME total` line per series, then the first and last days."""
    days = len(trend.days)
    if days == 0 or not trend.series:
        return "No daily figures for this period."
    per_mark = math.ceil(days / MAX_MARKS)
    lines = []
    for series in trend.series[:SERIES_SHOWN]:
        spark = sparkline(bucket(series.values, days, per_mark))
        label = fit(f"{series.name.strip()} {series.total.strip()}".strip(), LABEL, card_markdown)
        lines.append(f"`{spark}` {label}")
    if len(trend.series) > SERIES_SHOWN:
        lines.append(and_more(len(trend.series) - SERIES_SHOWN))
    first, last = trend.days[0].isoformat(), trend.days[-1].isoformat()
    span = first if days == 1 else f"{first} to {last}"
    if per_mark > 1:
        span += f" · each mark is {per_mark} days"
    lines.append(span)  # ISO dates only: nothing to escape
    return "\n".join(lines)


def footer_text(footer: Footer) -> str:
    """`⚠ Stale: data from 13:40 UTC — reason` on its own line, then
    `As of 2026-11-22 14:01 UTC · note`."""
    lines = []
    if (stale := stale_line(footer, _plain_line)) is not None:
        lines.append(f"⚠ {stale}")
    if line := footer_line(footer, _plain_line):
        lines.append(line)
    return "\n".join(lines)


def _plain_line(text: str) -> str:
    return plain_text(text).strip()


# Tables.

# About the width of a code block in an embed on a desktop client; wider lines wrap.
WIDTH = 60
NARROW_GAP = " "  # when the table is too wide: numbers are right-aligned, one space will do
# Names are not narrowed below eight cells before the numbers give way.
TEXT_FLOOR = 2 * MIN_COLUMN
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
    name = name_column(aligns)
    cells: list[list[str]] = []
    groups: list[tuple[int, int]] = []
    for index, row in enumerate(table.rows):
        line = [code_text(cell).strip() for cell in row_cells(row, count)]
        cells.append(indent_detail(line, row.level, name))
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
    reserve = size(_rows_more(table, total))
    for count, (start, end) in enumerate(prepared.groups, start=1):
        group = [_line(cells, widths, prepared.aligns, gap) for cells in prepared.cells[start:end]]
        used += sum(size(line) + 1 for line in group)
        if used + reserve > budget and used + size(_rows_more(table, total - count)) > budget:
            break
        lines.extend(group)
        keep = count
    more = _rows_more(table, len(prepared.groups) - keep)
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
    natural = natural_widths(titles, cells)
    gap = GAP if sum(natural) + len(GAP) * (len(titles) - 1) <= WIDTH else NARROW_GAP
    return fit_widths(natural, aligns, WIDTH, gap=gap, text_floor=TEXT_FLOOR), gap


def _code(prepared: TableLayout, lines: list[str], widths: list[int], gap: str) -> str:
    if not prepared.titles:
        return f"{FENCE}\n{NOTHING_TO_SHOW}\n{FENCE}"
    body = [
        _line(prepared.titles, widths, prepared.aligns, gap),
        rule(widths, gap).rstrip(),
        *lines,
    ]
    if not prepared.cells:
        body.append(NOTHING_TO_SHOW)
    return FENCE + "\n" + "\n".join(body) + "\n" + FENCE


def _rows_more(table: Table, cut: int) -> str:
    more = table.omitted + cut
    if more <= 0:
        return ""
    note = (table.omitted_note or "").strip()
    if note and cut:
        # The note adds up only the rows Venice's ranking left out, which are the last ones.
        note = f"the last {table.omitted}: {note}"
    text = and_more(more, note)
    return "\n" + fit(text, 300, card_markdown)


def _line(cells: list[str], widths: list[int], aligns: list[str], gap: str) -> str:
    return table_line(cells, widths, aligns, gap, name=_isolated)


def _isolated(name: str) -> str:
    # Names (the text columns) isolated, so right-to-left ones keep the figures in place; between
    # left-to-right marks, in case Discord drops the isolates (bot/layout/bidi.py).
    return isolate(name, marks=True)


# Text measured and cut to fit, without breaking markdown.


def size(text: str) -> int:
    """Characters as Discord counts them, taken at the stricter reading: UTF-16 code units
    (a character outside the BMP counts twice), never fewer than Python's `len`."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def fit(raw: str, limit: int, render: Callable[[str], str]) -> str:
    """RENDER(RAW), or RENDER of the longest prefix of RAW plus `…` that is at most LIMIT long.

    Cutting the raw text, not the rendered one, never leaves half an escape or half a code
    span: the renderer sees a shorter text and escapes it whole.
    """
    rendered = render(raw)
    if size(rendered) <= limit:
        return rendered
    if limit < size(ELLIPSIS):
        return ""
    # Escaping only adds characters, so a prefix much longer than LIMIT cannot fit unless most
    # of it is control characters the renderer drops; such text is cut a little early.
    low, high = 0, min(len(raw) - 1, 2 * limit + 16)
    best = ELLIPSIS
    while low <= high:
        middle = (low + high) // 2
        candidate = render(raw[:middle].rstrip() + ELLIPSIS)
        if size(candidate) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best
