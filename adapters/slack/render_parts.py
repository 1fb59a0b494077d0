"""The parts of a card as Block Kit blocks: header, summary, fields, meter, notes, footer.

Block Kit has no colour, so a card's tone shows as an emoji before its title: green circle for
good, warning sign for warning, red circle for danger, nothing for plain information.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from adapters.slack.block_json import Block, field_section, header, section
from adapters.slack.escape import escape_mrkdwn, escape_plain, escape_prose
from adapters.slack.render_limits import (
    ELLIPSIS,
    FIELD_CHARS,
    FIELDS_PER_SECTION,
    HEADER_CHARS,
    SECTION_CHARS,
    fit,
)
from adapters.slack.render_sections import Packed
from adapters.slack.render_tables import heading
from bot.cards import Card, Field, Footer, Meter, Tone
from bot.money import format_fraction

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
    if footer.stale is not None:
        reference = footer.as_of or footer.stale.since
        same_day = _utc(footer.stale.since).date() == _utc(reference).date()
        reason = " ".join(footer.stale.reason.split())
        text = f"Stale: data from {_time(footer.stale.since, with_date=not same_day)}"
        text += f" — {reason}" if reason else ""
        texts.append(f":warning: {fit(text, NOTE_CHARS, escape_prose)}")
    parts = []
    if footer.as_of is not None:
        parts.append(f"As of {_time(footer.as_of, with_date=True)}")
    note = " ".join((footer.note or "").split())
    if note:
        parts.append(fit(note, NOTE_CHARS, escape_prose))
    if parts:
        texts.append(" · ".join(parts))
    return texts


def _field_text(field: Field) -> str:
    label = " ".join(field.label.split())
    value = field.value.strip() or "—"
    shown_label = f"*{fit(label, LABEL_CHARS, escape_mrkdwn)}*\n" if label else ""
    return shown_label + fit(value, FIELD_CHARS - len(shown_label), escape_prose)


def _bar(fraction: Decimal) -> str:
    if not fraction.is_finite():
        return "░" * METER_CELLS + " n/a"
    clamped = max(Decimal(0), min(Decimal(1), fraction))
    filled = int((clamped * METER_CELLS).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if clamped > 0 and filled == 0:
        filled = 1  # any use at all shows on the bar
    percent = escape_plain(format_fraction(fraction))  # `<0.1%`: a `<` is never raw in mrkdwn
    if len(percent) > PERCENT_CHARS:
        percent = percent[: PERCENT_CHARS - 2] + ELLIPSIS + "%"
    return f"{'▓' * filled}{'░' * (METER_CELLS - filled)} {percent} used"


def _utc(moment: datetime) -> datetime:
    # Naive datetimes in cards are UTC by convention.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time(moment: datetime, *, with_date: bool) -> str:
    return _utc(moment).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")
