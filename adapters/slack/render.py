"""A Card as a Slack message: Block Kit blocks as JSON, within every limit.

Slack rejects a message over 50 blocks (100 in modals and App Home), a section over 3000
characters, more than 10 fields in a section or 10 elements in a context. Every part of a card is
built to fit those; when the whole card needs more blocks than allowed, long parts (tables,
fields, notes) give up rows first, each saying `… and N more`, so Slack never refuses a reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from adapters.slack.block_json import Block, context
from adapters.slack.escape import escape_mrkdwn, plain_prose
from adapters.slack.render_limits import (
    CONTEXT_ELEMENTS,
    FALLBACK_CHARS,
    MESSAGE_BLOCKS,
    fit,
)
from adapters.slack.render_parts import (
    compact_fields,
    field_list,
    field_sections,
    footer_texts,
    header_block,
    meter_blocks,
    notes_packed,
    summary_blocks,
)
from adapters.slack.render_sections import Packed
from adapters.slack.render_tables import table_packed, trend_packed
from bot.cards import Card


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


def render_card(card: Card, *, max_blocks: int = MESSAGE_BLOCKS) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...]}` as Slack's JSON.

    The blocks are written as dicts, not slack_sdk models: the limits are kept by our own code
    (render_limits), and the tests parse every block back with slack_sdk to validate it.
    """
    return {"text": fallback_text(card), "blocks": card_blocks(card, max_blocks=max_blocks)}


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
