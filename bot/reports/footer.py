"""Wording every report card shares: its footer, its period, and a short reason for a gap."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.cards import Footer
from bot.errors import VeniceError
from bot.period import Period
from bot.venice.source import Fetched

CREDIT_NOTE = "Shares count 1 DIEM as $1 of credit."


def report_footer(main: Fetched[Any], *others: Fetched[Any], note: str | None = None) -> Footer:
    """The footer: as of the main fetch; stale if any of the fetches was served stale."""
    stale = next((fetched.stale for fetched in (main, *others) if fetched.stale), None)
    return Footer(as_of=main.fetched_at, note=note, stale=stale)


def period_heading(period: Period) -> str:
    """`last 30 days`, `this month`, or `2026-10-01 to 2026-10-31` for an explicit range."""
    return period.describe() if period.lookback is None and ".." in period.label else period.label


def between(period: Period) -> str:
    """`between 2026-10-24 and 2026-11-22`, or `on 2026-11-22` for a single day."""
    if period.start == period.end:
        return f"on {period.start.isoformat()}"
    return f"between {period.start.isoformat()} and {period.end.isoformat()}"


def date_span(period: Period) -> str:
    """`2026-10-24 to 2026-11-22`, or `2026-11-22` for a single day."""
    if period.start == period.end:
        return period.start.isoformat()
    return f"{period.start.isoformat()} to {period.end.isoformat()}"


def period_data(period: Period) -> dict[str, Any]:
    """The period as machine-readable figures for `Card.data`."""
    return {
        "start": period.start,
        "end": period.end,
        "label": period.label,
        "days": period.days,
    }


def spend(usd: Decimal, diem: Decimal) -> Decimal:
    """What a row cost, counting 1 DIEM as $1 of credit (Venice's own conversion)."""
    return usd + diem


def short_reason(error: VeniceError) -> str:
    """The first sentence of a Venice error, for a note beside figures that did arrive."""
    first = error.message.strip().split(". ")[0].rstrip(".")
    return first or type(error).__name__
