"""The words every renderer shows the same: how old the data is, when it is from, how full a
meter is, how many rows were left out. Each renderer adds only its mark (an emoji, `⚠`, `!`)
and its escaping; the sentences themselves are written here once.

Times are UTC, the way every reply states them: `As of 2026-11-22 14:01 UTC` always with its
date, and `Stale: data from 13:40 UTC` with a date only when it is not the day of the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.cards import Footer

SEPARATOR = " · "

Clean = Callable[[str], str]


def utc(moment: datetime) -> datetime:
    """MOMENT in UTC; a naive datetime in a card is UTC by convention."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def clock(moment: datetime, *, with_date: bool) -> str:
    """`2026-11-22 14:01 UTC`, or `14:01 UTC` without its date."""
    return utc(moment).strftime("%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC")


def as_of(moment: datetime) -> str:
    """`As of 2026-11-22 14:01 UTC`: when the figures were fetched."""
    return f"As of {clock(moment, with_date=True)}"


def stale_line(footer: Footer, reason: Clean) -> str | None:
    """`Stale: data from 13:40 UTC — reason` (the date too when another day), or None when the
    data is fresh. REASON makes the stale reason fit to show on the platform."""
    stale = footer.stale
    if stale is None:
        return None
    reference = footer.as_of or stale.since
    other_day = utc(stale.since).date() != utc(reference).date()
    text = f"Stale: data from {clock(stale.since, with_date=other_day)}"
    shown = reason(stale.reason)
    return text + (f" — {shown}" if shown else "")


def footer_line(footer: Footer, note: Clean) -> str:
    """`As of 2026-11-22 14:01 UTC · note`, or "" when there is neither. NOTE makes the
    footer's note fit to show on the platform."""
    parts = []
    if footer.as_of is not None:
        parts.append(as_of(footer.as_of))
    if footer.note and footer.note.strip():
        parts.append(note(footer.note))
    return SEPARATOR.join(parts)


def filled_cells(fraction: Decimal, cells: int) -> int:
    """How many of a meter's CELLS are filled for FRACTION (0 to 1, clamped), to the nearest
    cell; any use at all fills one."""
    clamped = max(Decimal(0), min(Decimal(1), fraction))
    filled = int((clamped * cells).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 1 if clamped > 0 and filled == 0 else filled


def and_more(count: int, note: str = "") -> str:
    """`… and 3 more`, with NOTE in brackets when there is one."""
    return f"… and {count} more" + (f" ({note})" if note else "")
