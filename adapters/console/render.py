"""Cards as plain terminal text (`--format text`, the demo) and as JSON (`--format json`)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.cards import Card, Field, Footer, Meter, Stale, Table, Tone
from bot.layout.sparkline import render_trend
from bot.layout.text import (
    clip,
    display_width,
    pad,
    sanitise_line,
    wrap,
)
from bot.money import format_fraction

MIN_WIDTH = 30
METER_CELLS = 20
GAP = "  "
MIN_COLUMN = 4
TONE_MARKS = {Tone.INFO: "", Tone.GOOD: "✔ ", Tone.WARNING: "! ", Tone.DANGER: "✖ "}


def render_text(card: Card, *, width: int = 80) -> str:
    """The whole card as plain text, WIDTH columns wide (text columns give way before numbers)."""
    width = max(MIN_WIDTH, width)
    blocks: list[list[str]] = [_title(card, width)]
    if card.footer.stale is not None:
        blocks.append(_stale(card.footer, card.footer.stale, width))
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


def _stale(footer: Footer, stale: Stale, width: int) -> list[str]:
    reference = footer.as_of or stale.since
    when = _time(stale.since, with_date=_utc(stale.since).date() != _utc(reference).date())
    reason = sanitise_line(stale.reason).strip()
    text = f"Stale: data from {when}" + (f" — {reason}" if reason else "")
    return wrap(text, width, first="! ", rest="  ")


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
    fraction = max(Decimal(0), min(Decimal(1), meter.fraction))
    cells = min(METER_CELLS, width - 20)
    filled = int((fraction * cells).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if fraction > 0 and filled == 0:
        filled = 1  # any use at all shows on the bar
    bar = f"[{'█' * filled}{'░' * (cells - filled)}] {format_fraction(meter.fraction)} used"
    lines = wrap(meter.label, width) if meter.label.strip() else []
    lines.append(bar)
    if meter.caption.strip():
        lines.extend(wrap(meter.caption, width))
    return lines


def _table(table: Table, width: int) -> list[str]:
    columns = len(table.columns)
    titles = [sanitise_line(column.title).strip() for column in table.columns]
    rows = [
        [sanitise_line(cell).strip() for cell in (*row.cells, *[""] * columns)[:columns]]
        for row in table.rows
    ]
    aligns: list[str] = [column.align for column in table.columns]
    # A detail row sits under its parent: indent its first text column (the name, not the rank).
    name_column = aligns.index("left") if "left" in aligns else 0
    for cells, row in zip(rows, table.rows, strict=True):
        if row.level > 0 and cells:
            cells[name_column] = "  " * row.level + cells[name_column]
    natural = [
        max([display_width(titles[i])] + [display_width(cells[i]) for cells in rows])
        for i in range(columns)
    ]
    widths = _fit(natural, aligns, width)
    lines = wrap(table.title, width) if table.title.strip() else []
    if columns:
        lines.append(_line(titles, widths, aligns))
        lines.append(GAP.join("─" * w for w in widths))
        lines.extend(_line(cells, widths, aligns) for cells in rows)
    if not rows:
        lines.append("(nothing to show)")
    if table.omitted > 0:
        note = sanitise_line(table.omitted_note or "").strip()
        more = f"… and {table.omitted} more" + (f" ({note})" if note else "")
        lines.extend(wrap(more, width))
    return lines


def _fit(widths: list[int], aligns: list[str], width: int) -> list[int]:
    """Shrink the widest text columns until the table fits; numbers shrink only as a last resort."""
    widths = list(widths)
    overflow = sum(widths) + len(GAP) * (len(widths) - 1) - width
    while overflow > 0:
        text = [i for i, w in enumerate(widths) if aligns[i] == "left" and w > MIN_COLUMN]
        candidates = text or [i for i, w in enumerate(widths) if w > MIN_COLUMN]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        others = max((widths[i] for i in candidates if i != widest), default=MIN_COLUMN)
        step = max(1, min(overflow, widths[widest] - max(others, MIN_COLUMN)))
        widths[widest] -= step
        overflow -= step
    return widths


def _line(cells: list[str], widths: list[int], aligns: list[str]) -> str:
    return GAP.join(
        pad(clip(cell, w), w, align) for cell, w, align in zip(cells, widths, aligns, strict=True)
    )


def _footer(footer: Footer, width: int) -> list[str]:
    parts = []
    if footer.as_of is not None:
        parts.append(f"As of {_time(footer.as_of, with_date=True)}")
    if footer.note and footer.note.strip():
        parts.append(sanitise_line(footer.note).strip())
    return wrap(" · ".join(parts), width) if parts else []


def _utc(moment: datetime) -> datetime:
    # Naive datetimes in cards are UTC by convention.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time(moment: datetime, *, with_date: bool) -> str:
    utc = _utc(moment)
    return utc.strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")
