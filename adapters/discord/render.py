"""Cards as Discord embeds: every part of a Card, within every one of Discord's embed limits.

The description holds the summary and the ranked tables (code blocks, where columns line up);
fields hold the card's figures, the meter, the trend and the notes; the footer says how old the
data is. Long lists are cut with `… and N more`: Discord never has a reason to refuse a reply.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord

from adapters.discord import render_limits as limits
from adapters.discord.escape import card_markdown
from adapters.discord.render_limits import fit, size
from adapters.discord.render_parts import footer_text, meter_value, trend_value, utc
from adapters.discord.render_table import TableLayout, layout, table_block
from bot.cards import Card, Tone

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
    title = fit(card.title.strip() or "(untitled)", limits.TITLE, card_markdown)
    footer = fit(footer_text(card.footer), limits.FOOTER, str)
    room = limits.TOTAL - size(title) - size(footer)
    summary = card.summary.strip() if card.summary else ""
    layouts = [layout(table) for table in card.tables]
    # Each table as long as a description may be: what it would take if nothing else did.
    whole = [table_block(prepared, limits.DESCRIPTION) for prepared in layouts]
    wanted = min(limits.DESCRIPTION, _joined_size([card_markdown(summary), *whole]))
    # The description (what the reply is about) comes first; fields get what is left, and
    # never less than a third of the room when they need it.
    fields = _trim(_fields(card), max(room - wanted, room // 3))
    budget = min(limits.DESCRIPTION, room - _size_of(fields))
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
        name = fit(card.meter.label.strip(), limits.FIELD_NAME, card_markdown)
        extras.append(_Field(name or BLANK, meter_value(card.meter)))
    if card.trend is not None:
        name = fit(card.trend.title.strip(), limits.FIELD_NAME, card_markdown)
        extras.append(_Field(name or "Trend", trend_value(card.trend)))
    if notes := _notes(card.notes):
        extras.append(_Field(NOTES_NAME, notes))
    slots = limits.FIELDS - len(extras)
    figures = [_figure(field.label, field.value) for field in card.fields]
    if len(figures) > slots:
        figures = [*figures[: slots - 1], _more(len(figures) - slots + 1)]
    return [*figures, *extras]


def _figure(label: str, value: str) -> _Field:
    name = fit(label.strip(), limits.FIELD_NAME, card_markdown) or BLANK
    text = fit(value.strip(), limits.FIELD_VALUE, card_markdown) or BLANK
    # Short figures sit side by side, three to a row; long ones take the whole width.
    return _Field(name, text, inline=size(name) <= INLINE_MAX and size(text) <= INLINE_MAX)


def _more(count: int) -> _Field:
    return _Field(BLANK, f"… and {count} more")


def _notes(notes: tuple[str, ...]) -> str:
    lines: list[str] = []
    used = 0
    for note in (note.strip() for note in notes):
        if not note:
            continue
        left = limits.FIELD_VALUE - used - len("\n") * bool(lines) - len("• ")
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
