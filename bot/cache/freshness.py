"""How long a cached answer is fresh, and how long it is kept to be shown stale if Venice fails.

Freshness is judged from `fetched_at`, stored in the entry, never from the backend's TTL: a
hit keeps its real age ("As of 14:03 UTC"). An answer fetched before 00:00 UTC is not fresh
after it, whatever its TTL: the DIEM epoch and every `Nd` period turn over at midnight UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Freshness:
    """FRESH_FOR seconds of freshness, then STALE_FOR seconds more in the cache."""

    fresh_for: float
    stale_for: float

    @property
    def keep_for(self) -> float:
        """Seconds an entry stays in the backend: fresh time plus stale time."""
        return self.fresh_for + self.stale_for

    def is_fresh(self, fetched_at: datetime, now: datetime) -> bool:
        """True while an answer fetched at FETCHED_AT may be given as current at NOW."""
        if fetched_at.astimezone(UTC).date() != now.astimezone(UTC).date():
            return False
        return (now - fetched_at).total_seconds() < self.fresh_for

    def may_serve_stale(self, fetched_at: datetime, now: datetime) -> bool:
        """True while an answer fetched at FETCHED_AT may still be shown, marked stale."""
        return (now - fetched_at).total_seconds() < self.keep_for


@dataclass(frozen=True, slots=True)
class FreshnessPolicy:
    """Freshness per endpoint: balance moves with every request, usage only every 10 minutes."""

    balance: Freshness
    usage: Freshness

    @classmethod
    def of(cls, *, balance_ttl: float, usage_ttl: float, stale_for: float) -> FreshnessPolicy:
        """The policy from the three settings (VENICE_BOT_BALANCE_TTL, _USAGE_TTL, _STALE_FOR)."""
        return cls(Freshness(balance_ttl, stale_for), Freshness(usage_ttl, stale_for))
