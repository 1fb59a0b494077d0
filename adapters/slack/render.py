"""A Card as a Slack message: Block Kit blocks as JSON, within every limit.

Slack rejects a message over 50 blocks (100 in modals and App Home), a section over 3000
characters, more than 10 fields in a section or 10 elements in a context. Every part of a card is
built to fit those; when the whole card needs more blocks than allowed, long parts (tables,
fields, notes) give up rows first, each saying `… and N more`, so Slack never refuses a reply.

The words and the table layout are the shared ones (bot/layout/); what is Slack's is here:
- Block Kit has no colour, so a card's tone shows as an emoji before its title: green circle for
  good, warning sign for warning, red circle for danger, nothing for plain information.
- Ranked tables and trends are monospace code blocks: Slack's only way to align columns.
- A part (a table, the notes, a long field list) is a heading, some lines and a tail
  (`… and 3 more`) packed into as few sections as the 3000-character limit allows. When it must
  fit in fewer blocks than it needs, the lines that do not fit are cut and the tail says how
  many: the cut is always said, never silent.
- Escaped text is cut to its limit with a visible `…` (escaping: adapters/slack/escape.py).
- A card's actions (`Card.actions`) are buttons in actions blocks after everything else, 25 to
  a block: each button's action id is `venice_run_N` (unique in the message, as Slack wants it)
  and its value the command text, all a click needs, so buttons work after a restart. A label
  is cut to 75 characters; an action whose command is blank or over 2000 characters is left
  out (logged): a cut command would run another one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.slack.block_json import (
    Block,
    actions,
    button,
    context,
    field_section,
    header,
    section,
)
from adapters.slack.escape import (
    escape_code,
    escape_mrkdwn,
    escape_plain,
    escape_prose,
    plain_prose,
)
from bot.cards import Action, Card, Field, Footer, Meter, Table, Tone, Trend
from bot.layout.bidi import FSI, PDI, isolate
from bot.layout.sparkline import render_trend
from bot.layout.table import (
    NOTHING_TO_SHOW,
    indent_detail,
    name_column,
    natural_widths,
    row_cells,
    rule,
    table_line,
)
from bot.layout.text import clip, clusters, sanitise_line
from bot.layout.wording import and_more, filled_cells, footer_line, stale_line
from bot.money import format_fraction

log = logging.getLogger(__name__)

# Slack's Block Kit limits.
MESSAGE_BLOCKS = 50  # 100 in modals and App Home: callers pass max_blocks
HEADER_CHARS = 150
SECTION_CHARS = 3000
FIELD_CHARS = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS = 10
CONTEXT_CHARS = 3000
FALLBACK_CHARS = 300
ACTIONS_PER_BLOCK = 25
BUTTON_LABEL_CHARS = 75
BUTTON_VALUE_CHARS = 2000
ELLIPSIS = "…"
# A card's action buttons: this prefix and the button's index; the value is the command text.
ACTION_RUN_PREFIX = "venice_run_"
ACTIONS_BLOCK_ID = "venice_actions"
# A card keeps at least this many blocks of its own, however many actions it offers.
CARD_MIN_BLOCKS = 2


# The whole card.


@dataclass(frozen=True, slots=True)
class _Part:
    """A part's blocks at full size, and how to build it in fewer (None: it is one block)."""

    blocks: list[Block]
    shrink: Callable[[int], list[Block]] | None = None


def card_blocks(card: Card, *, max_blocks: int = MESSAGE_BLOCKS) -> list[Block]:
    """The card as blocks: header, summary, fields, meter, trend, tables, notes, footer."""
    max_blocks = max(2, max_blocks)  # the title and one line, at the very least
    footer = footer_texts(card.footer)
    parts = _parts(card)
    if sum(len(part.blocks) for part in parts) + 1 + (1 if footer else 0) <= max_blocks:
        body = [block for part in parts for block in part.blocks]
    else:
        budget = max_blocks - 1 - (1 if footer else 0)
        body, left_out = _fit(parts, budget)
        if left_out and not footer:
            # The footer must say what was left out: it needs a block of its own after all.
            body, left_out = _fit(parts, budget - 1)
        if left_out:
            footer.append(f"… {left_out} more parts of this reply left out: too long for Slack")
    blocks: list[Block] = [header_block(card), *body]
    if footer:
        blocks.append(context(footer[:CONTEXT_ELEMENTS]))
    return blocks


def fallback_text(card: Card) -> str:
    """The notification and screen-reader text: the title, then the summary, cut short."""
    title = " ".join(card.title.split()) or "(untitled)"
    summary = plain_prose(" ".join((card.summary or "").split()))
    return fit(f"{title}: {summary}" if summary else title, FALLBACK_CHARS, escape_mrkdwn)


def render_card(
    card: Card, *, max_blocks: int = MESSAGE_BLOCKS, with_actions: bool = True
) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` as Slack's JSON, the card's action buttons last
    (unless not WITH_ACTIONS: views, where a click has no message to answer in).

    The blocks are written as dicts, not slack_sdk models: the limits are kept by our own code
    (the limits above), and the tests parse every block back with slack_sdk to validate it.
    """
    buttons = action_blocks(card.actions) if with_actions else []
    buttons = buttons[: max(0, max_blocks - CARD_MIN_BLOCKS)]
    blocks = card_blocks(card, max_blocks=max_blocks - len(buttons))
    return {"text": fallback_text(card), "blocks": [*blocks, *buttons]}


def action_blocks(offered: tuple[Action, ...]) -> list[Block]:
    """The card's actions as buttons, 25 to an actions block (none: no block)."""
    buttons: list[dict[str, Any]] = []
    for action in offered:
        command = " ".join(action.command.split())
        if not command or slack_len(command) > BUTTON_VALUE_CHARS:
            log.warning(
                "slack: left out the %r button: its command is %d characters (Slack takes 1 to %d)",
                _loggable(action.label),
                len(command),
                BUTTON_VALUE_CHARS,
            )
            continue
        label = " ".join(action.label.split()) or command
        buttons.append(
            button(
                fit(label, BUTTON_LABEL_CHARS, escape_plain),
                f"{ACTION_RUN_PREFIX}{len(buttons)}",
                value=command,
                emoji=True,
            )
        )
    return [
        actions(
            buttons[start : start + ACTIONS_PER_BLOCK],
            block_id=ACTIONS_BLOCK_ID if start == 0 else f"{ACTIONS_BLOCK_ID}_{start}",
        )
        for start in range(0, len(buttons), ACTIONS_PER_BLOCK)
    ]


def _loggable(label: str) -> str:
    return sanitise_line(label)[:40]


def _parts(card: Card) -> list[_Part]:
    parts = [_Part(summary_blocks(card.summary))]
    if card.fields:
        if compact_fields(card.fields):
            fields = card.fields
            parts.append(_Part(field_sections(fields), lambda n: field_sections(fields, n)))
        else:
            parts.append(_packed(field_list(card.fields)))
    if card.meter is not None:
        parts.append(_Part(meter_blocks(card.meter)))
    if card.trend is not None:
        parts.append(_packed(trend_packed(card.trend)))
    parts.extend(_packed(table_packed(table)) for table in card.tables)
    if card.notes:
        parts.append(_packed(notes_packed(card.notes)))
    return [part for part in parts if part.blocks]


def _packed(packed: Packed) -> _Part:
    return _Part(packed.blocks(), packed.blocks)


def _fit(parts: list[_Part], budget: int) -> tuple[list[Block], int]:
    """At most BUDGET blocks: each part gets one, then more in turn; the parts past BUDGET are
    left out and counted."""
    kept = parts[: max(0, budget)]
    shares = [1] * len(kept)
    spare = budget - len(kept)
    while spare > 0:
        grew = False
        for i, part in enumerate(kept):
            if spare > 0 and shares[i] < len(part.blocks):
                shares[i] += 1
                spare -= 1
                grew = True
        if not grew:
            break
    blocks: list[Block] = []
    for part, share in zip(kept, shares, strict=True):
        if share >= len(part.blocks):
            blocks.extend(part.blocks)
        elif part.shrink is not None:
            blocks.extend(part.shrink(share)[:share])
        else:
            blocks.extend(part.blocks[:share])
    return blocks, len(parts) - len(kept)


# The parts of a card.

TONE_ICONS = {
    Tone.INFO: "",
    Tone.GOOD: ":large_green_circle:",
    Tone.WARNING: ":warning:",
    Tone.DANGER: ":red_circle:",
}
METER_CELLS = 20
LABEL_CHARS = 300
LINE_CHARS = 1000
# Fields longer than this read badly in Slack's two-column grid: they become a list instead.
COMPACT_FIELD = 80
# A footer line; context elements may hold 3000 characters, two of these stay well below.
NOTE_CHARS = 1000
PERCENT_CHARS = 24


def header_block(card: Card) -> Block:
    """The title in a header block, after the tone's emoji."""
    icon = TONE_ICONS.get(card.tone, "")
    title = " ".join(card.title.split()) or "(untitled)"
    room = HEADER_CHARS - (len(icon) + 1 if icon else 0)
    text = fit(title, room, escape_plain)
    return header(f"{icon} {text}" if icon else text)


def summary_blocks(summary: str | None) -> list[Block]:
    """The summary sentence as one section, or nothing."""
    if not summary or not summary.strip():
        return []
    text = fit(summary.strip(), SECTION_CHARS, escape_prose)
    return [section(text)]


def compact_fields(fields: tuple[Field, ...]) -> bool:
    """True when every field is short enough for Slack's two-column field grid."""
    return all(len(field.label) + len(field.value) <= COMPACT_FIELD for field in fields)


def field_sections(fields: tuple[Field, ...], max_blocks: int | None = None) -> list[Block]:
    """Fields in Slack's grid, 10 to a section; a last `… and N more` slot when cut."""
    texts = [_field_text(field) for field in fields]
    room = len(texts) if max_blocks is None else max_blocks * FIELDS_PER_SECTION
    if len(texts) > room:
        hidden = len(texts) - room + 1
        texts = [*texts[: room - 1], f"… and {hidden} more: too many for one Slack message"]
    return [
        field_section(texts[start : start + FIELDS_PER_SECTION])
        for start in range(0, len(texts), FIELDS_PER_SECTION)
    ]


def field_list(fields: tuple[Field, ...]) -> Packed:
    """Fields as `*label* — value` lines, for long values (help) or long lists."""
    lines = []
    for field in fields:
        label = " ".join(field.label.split())
        value = fit(" ".join(field.value.split()), LINE_CHARS, escape_prose)
        if label:
            lines.append(f"*{fit(label, LABEL_CHARS, escape_mrkdwn)}* — {value}")
        else:
            lines.append(value or ELLIPSIS)
    return Packed(None, lines, code=False)


def meter_blocks(meter: Meter) -> list[Block]:
    """`▓▓▓▓▓▓░░░░ 62% used` under the meter's label, with its caption below."""
    lines = []
    if label := heading(meter.label):
        lines.append(label)
    lines.append(_bar(meter.fraction))
    caption = " ".join(meter.caption.split())
    if caption:
        lines.append(fit(caption, LINE_CHARS, escape_prose))
    return [section("\n".join(lines))]


def notes_packed(notes: tuple[str, ...]) -> Packed:
    """Each note as a bullet line."""
    lines = [f"• {fit(' '.join(note.split()), LINE_CHARS, escape_prose)}" for note in notes]
    return Packed(None, [line for line in lines if line.strip() != "•"], code=False)


def footer_texts(footer: Footer) -> list[str]:
    """Context lines: the staleness warning, then `As of 2026-11-22 14:01 UTC · note`."""
    texts = []
    if (stale := stale_line(footer, _one_spaced)) is not None:
        texts.append(f":warning: {fit(stale, NOTE_CHARS, escape_prose)}")
    if line := footer_line(footer, lambda note: fit(_one_spaced(note), NOTE_CHARS, escape_prose)):
        texts.append(line)
    return texts


def _one_spaced(text: str) -> str:
    return " ".join(text.split())


def _field_text(field: Field) -> str:
    label = " ".join(field.label.split())
    value = field.value.strip() or "—"
    shown_label = f"*{fit(label, LABEL_CHARS, escape_mrkdwn)}*\n" if label else ""
    return shown_label + fit(value, FIELD_CHARS - len(shown_label), escape_prose)


def _bar(fraction: Decimal) -> str:
    if not fraction.is_finite():
        return "░" * METER_CELLS + " n/a"
    filled = filled_cells(fraction, METER_CELLS)
    percent = escape_plain(format_fraction(fraction))  # `<0.1%`: a `<` is never raw in mrkdwn
    if len(percent) > PERCENT_CHARS:
        percent = percent[: PERCENT_CHARS - 2] + ELLIPSIS + "%"
    return f"{'▓' * filled}{'░' * (METER_CELLS - filled)} {percent} used"


# Tables and trends.

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
TAIL_NOTE_CHARS = 300


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
    name = name_column(aligns)
    limits = [TEXT_COLUMN if align == "left" else NUMBER_COLUMN for align in aligns]
    titles = [
        one_line(column.title, limit) for column, limit in zip(table.columns, limits, strict=True)
    ]
    rows: list[list[str]] = []
    for row in table.rows:
        shown = [one_line(cell, limits[i]) for i, cell in enumerate(row_cells(row, count))]
        # Names (the text columns) isolated, so right-to-left ones keep the figures in place.
        shown = [
            isolate(cell) if align == "left" else cell
            for cell, align in zip(shown, aligns, strict=True)
        ]
        rows.append(indent_detail(shown, row.level, name))
    widths = natural_widths(titles, rows)
    lines: list[str] = []
    if count:
        lines.append(table_line(titles, widths, aligns))
        lines.append(rule(widths))
        lines.extend(table_line(cells, widths, aligns) for cells in rows)
    if not table.rows:
        lines.append(NOTHING_TO_SHOW)
    # Cells are sanitised already: the line is only cut, so the isolates around names stay.
    return [escape_code(clip_line(line, LINE_CELLS)) for line in lines]


def trend_packed(trend: Trend) -> Packed:
    """One sparkline per series with its total, under the trend's title (the console's lines)."""
    untitled = Trend(title="", days=trend.days, series=trend.series)
    drawn = render_trend(untitled, TREND_WIDTH)
    lines = [escape_code(one_line(line, LINE_CELLS, keep_indent=True)) for line in drawn]
    return Packed(heading(trend.title), lines, code=True)


def _table_tail(table: Table, *, unlisted: int) -> Tail:
    omitted = max(0, table.omitted)
    note = " ".join((table.omitted_note or "").split())
    beyond = and_more(omitted, note) if omitted else ""

    def tail(cut: int) -> list[str]:
        lines = []
        cut += unlisted
        if cut:
            lines.append(f"… and {cut} more rows: too long for one Slack message")
        if beyond:
            lines.append(fit(beyond, TAIL_NOTE_CHARS, escape_prose))
        return lines

    return tail


# Lines packed into sections.

FENCE = "```"
# "```\n" before the lines and "\n```" after them.
FENCES = 2 * (len(FENCE) + 1)

Tail = Callable[[int], list[str]]


def no_tail(cut: int) -> list[str]:
    """A tail for lines that are never cut silently: only says how many were cut."""
    return [f"… and {cut} more lines: too long for one Slack message"] if cut else []


@dataclass(frozen=True, slots=True)
class Packed:
    """Escaped mrkdwn pieces: `heading` over everything, `lines` (in a code block when `code`)."""

    heading: str | None
    lines: list[str]
    code: bool
    tail: Tail = no_tail

    def blocks(self, max_blocks: int | None = None) -> list[Block]:
        """Sections of at most SECTION_CHARS; at most MAX_BLOCKS of them, cutting lines if so."""
        chunks = self._chunks(reserve=0, max_chunks=None)
        cut = 0
        if not self._tail_fits(chunks, self.tail(0)):
            chunks.append([])
        if max_blocks is not None and len(chunks) > max_blocks:
            # Room for the longest tail this cut could need, in the last block kept.
            reserve = slack_len("\n".join(self.tail(len(self.lines)))) + 1
            chunks = self._chunks(reserve=reserve, max_chunks=max(1, max_blocks))
            cut = len(self.lines) - sum(len(chunk) for chunk in chunks)
            if not self._tail_fits(chunks, self.tail(cut)) and len(chunks) < max_blocks:
                chunks.append([])
        tail = self.tail(cut)
        last = len(chunks) - 1
        texts = [self._text(i, chunk, tail if i == last else []) for i, chunk in enumerate(chunks)]
        return [section(text) for text in texts if text.strip()]

    def _base(self, index: int) -> int:
        return slack_len(self.heading) + 1 if index == 0 and self.heading else 0

    def _chunks(self, *, reserve: int, max_chunks: int | None) -> list[list[str]]:
        """Lines grouped greedily; the last of MAX_CHUNKS keeps RESERVE characters free."""
        chunks: list[list[str]] = []
        current: list[str] = []
        size = self._base(0)

        def room(index: int) -> int:
            final = max_chunks is not None and index == max_chunks - 1
            return SECTION_CHARS - (reserve if final else 0)

        for line in self.lines:
            while True:
                index = len(chunks)
                final = max_chunks is not None and index == max_chunks - 1
                grows = slack_len(line) + (1 if current else (FENCES if self.code else 0))
                if size + grows <= room(index) or not (current or final):
                    # An empty block takes any line: callers keep lines far below the limit.
                    current.append(line)
                    size += grows
                    break
                chunks.append(current)
                if max_chunks is not None and len(chunks) >= max_chunks:
                    return chunks
                current, size = [], self._base(len(chunks))
        if current or not chunks:
            chunks.append(current)
        return chunks

    def _tail_fits(self, chunks: list[list[str]], tail: list[str]) -> bool:
        if not tail:
            return True
        index = len(chunks) - 1
        return slack_len(self._text(index, chunks[index], tail)) <= SECTION_CHARS

    def _text(self, index: int, lines: list[str], tail: list[str]) -> str:
        pieces: list[str] = []
        if index == 0 and self.heading:
            pieces.append(self.heading)
        if lines:
            body = "\n".join(lines)
            pieces.append(f"{FENCE}\n{body}\n{FENCE}" if self.code else body)
        pieces.extend(tail)
        return "\n".join(pieces)


# Escaped text cut to fit.


def slack_len(text: str) -> int:
    """Length as Slack may count it: UTF-16 units, never less than slack_sdk's code points."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit(raw: str, limit: int, escape: Callable[[str], str]) -> str:
    """escape(RAW), or the longest escaped prefix of RAW plus `…` that is at most LIMIT long.

    Cutting the raw text, not the escaped one, never leaves half an `&amp;` behind.
    """
    escaped = escape(raw)
    if slack_len(escaped) <= limit:
        return escaped
    low, high = 0, len(raw)
    while low < high:  # the longest prefix that still fits, found by halving
        middle = (low + high + 1) // 2
        if slack_len(escape(raw[:middle])) + 1 <= limit:
            low = middle
        else:
            high = middle - 1
    while low > 0 and slack_len(escape(raw[:low])) + 1 > limit:
        low -= 1  # prose escaping is not strictly monotone in the prefix length
    return escape(raw[:low].rstrip()) + ELLIPSIS


def one_line(text: str, width: int, *, keep_indent: bool = False) -> str:
    """TEXT on one printable line, at most WIDTH terminal cells and 2 * WIDTH characters."""
    line = sanitise_line(text).rstrip()
    return clip_line(line if keep_indent else line.lstrip(), width)


def clip_line(line: str, width: int) -> str:
    """A printable LINE (sanitised already: it may hold the isolates around names) cut to at
    most WIDTH terminal cells and 2 * WIDTH characters."""
    line = clip(line, width)
    # Zero-width characters (combining marks) take no cells but still count against Slack.
    if len(line) <= 2 * width:
        return line
    pieces: list[str] = []
    room = 2 * width - 2  # the ellipsis, and a PDI should an isolate be left open
    for cluster in clusters(line):
        if len(cluster) > room:
            break
        pieces.append(cluster)
        room -= len(cluster)
    kept = "".join(pieces)
    return kept + ELLIPSIS + PDI * max(0, kept.count(FSI) - kept.count(PDI))
