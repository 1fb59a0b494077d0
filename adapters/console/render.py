"""Cards as plain terminal text (`--format text`, the demo) and as JSON (`--format json`).

A terminal has no buttons: a card's actions become a last line saying what to type instead,
`Next: alert snooze 3 1h · alert ack 3 · balance`.
"""

from __future__ import annotations

import json
import re

from bot.cards import Card, Field, Footer, Meter, Table, Tone
from bot.layout.sparkline import render_trend
from bot.layout.table import (
    GAP,
    NOTHING_TO_SHOW,
    fit_widths,
    indent_detail,
    name_column,
    natural_widths,
    row_cells,
    rule,
    table_line,
)
from bot.layout.text import NBSP, display_width, pad, sanitise_line, wrap
from bot.layout.wording import and_more, filled_cells, footer_line, stale_line
from bot.money import format_fraction

MIN_WIDTH = 30
NEXT = "Next: "
NEXT_GAP = " · "
METER_CELLS = 20
TONE_MARKS = {Tone.INFO: "", Tone.GOOD: "✔ ", Tone.WARNING: "! ", Tone.DANGER: "✖ "}


def render_text(card: Card, *, width: int = 80) -> str:
    """The whole card as plain text, WIDTH columns wide (text columns give way before numbers)."""
    width = max(MIN_WIDTH, width)
    blocks: list[list[str]] = [_title(card, width)]
    if card.footer.stale is not None:
        blocks.append(_stale(card.footer, width))
    if card.summary:
        blocks.append(wrap(card.summary, width))
    if card.fields:
        blocks.append(_fields(card.fields, width))
    if card.meter is not None:
        blocks.append(_meter(card.meter, width))
    if card.trend is not None:
        blocks.append(render_trend(card.trend, width))
    blocks.extend(_table(table, width) for table in card.tables)
    if card.notes:
        blocks.append(
            [line for note in card.notes for line in wrap(note, width, first="• ", rest="  ")]
        )
    if footer := _footer(card.footer, width):
        blocks.append(footer)
    if card.actions:
        blocks.append(_next(card, width))
    return "\n\n".join("\n".join(line.rstrip() for line in block) for block in blocks if block)


# Inside JSON strings these would still reach the terminal raw: C1 controls (U+0080-U+009F)
# can start escape sequences, and bidi and line-separator characters can reorder or break lines.
_JSON_UNSAFE = re.compile("[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def render_json(card: Card) -> str:
    """The platform-neutral reply document, indented, non-ASCII kept readable."""
    text = json.dumps(card.to_dict(), indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _title(card: Card, width: int) -> list[str]:
    title = sanitise_line(card.title).strip() or "(untitled)"
    return wrap(title, width, first=TONE_MARKS.get(card.tone, ""), rest="  ")


def _stale(footer: Footer, width: int) -> list[str]:
    text = stale_line(footer, _clean) or ""
    return wrap(text, width, first="! ", rest="  ")


def _clean(text: str) -> str:
    return sanitise_line(text).strip()


def _fields(fields: tuple[Field, ...], width: int) -> list[str]:
    labels = [sanitise_line(field.label).strip() for field in fields]
    label_width = min(max(display_width(label) for label in labels), width // 3)
    indent = " " * (label_width + len(GAP))
    lines: list[str] = []
    for label, field in zip(labels, fields, strict=True):
        if display_width(label) > label_width:
            # A long label (a command's whole syntax in help) is never cut: it takes its own
            # lines, and the value follows under it.
            lines.extend(wrap(label, width, rest="  "))
            lines.extend(wrap(field.value, width, first=indent, rest=indent))
            continue
        head = pad(label, label_width) + GAP
        lines.extend(wrap(field.value, width, first=head, rest=indent))
    return lines


def _meter(meter: Meter, width: int) -> list[str]:
    cells = min(METER_CELLS, width - 20)
    filled = filled_cells(meter.fraction, cells)
    bar = f"[{'█' * filled}{'░' * (cells - filled)}] {format_fraction(meter.fraction)} used"
    lines = wrap(meter.label, width) if meter.label.strip() else []
    lines.append(bar)
    if meter.caption.strip():
        lines.extend(wrap(meter.caption, width))
    return lines


def _table(table: Table, width: int) -> list[str]:
    columns = len(table.columns)
    titles = [_clean(column.title) for column in table.columns]
    aligns: list[str] = [column.align for column in table.columns]
    name = name_column(aligns)
    rows = [
        indent_detail([_clean(cell) for cell in row_cells(row, columns)], row.level, name)
        for row in table.rows
    ]
    widths = fit_widths(natural_widths(titles, rows), aligns, width)
    lines = wrap(table.title, width) if table.title.strip() else []
    if columns:
        lines.append(table_line(titles, widths, aligns))
        lines.append(rule(widths))
        lines.extend(table_line(cells, widths, aligns) for cells in rows)
    if not rows:
        lines.append(NOTHING_TO_SHOW)
    if table.omitted > 0:
        lines.extend(wrap(and_more(table.omitted, _clean(table.omitted_note or "")), width))
    return lines


def _next(card: Card, width: int) -> list[str]:
    """`Next: alert ack 3 · balance`: the commands the card's buttons would run, each once."""
    commands = dict.fromkeys(_clean(" ".join(action.command.split())) for action in card.actions)
    # A command is typed as one piece: never split across lines.
    said = NEXT_GAP.join(command.replace(" ", NBSP) for command in commands if command)
    return wrap(NEXT + said, width, rest=" " * len(NEXT)) if said else []


def _footer(footer: Footer, width: int) -> list[str]:
    line = footer_line(footer, _clean)
    return wrap(line, width) if line else []
