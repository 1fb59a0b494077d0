"""The digest Card: yesterday's spend (UTC day) in USD and DIEM against the 7-day average, today's
DIEM allocation used, USD balance and runway, yesterday's top 3 models and keys, an anomaly line
when yesterday exceeds twice the 7-day median (above a spend floor), and a 14-day chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.cards import Card
from bot.deadline import Deadline
from bot.venice.source import BillingSource


@dataclass(frozen=True, slots=True)
class Digest:
    """The digest Card (its `chart` set when there is data) and whether yesterday had no usage
    (a schedule with skip_empty then posts nothing)."""

    card: Card
    empty: bool


async def build_digest(
    source: BillingSource,
    *,
    now: datetime,
    deadline: Deadline,
    late_note: str | None = None,
) -> Digest:
    """Fetch what the digest needs (through the cache) and build it. LATE_NOTE, when the digest
    is posted late, is shown on the card. Raises VeniceError / NoVeniceKey / KeyUnreadable."""
    raise NotImplementedError
