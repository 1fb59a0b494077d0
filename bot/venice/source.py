"""What commands ask for billing data: a Protocol the Venice client and the cache both satisfy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from bot.cards import Stale
from bot.deadline import Deadline
from bot.venice.models import ApiKeys, Balance, UsageAnalytics

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A Venice answer and when it was fetched (UTC); `stale` is set when served past freshness."""

    value: T
    fetched_at: datetime
    stale: Stale | None = None


@dataclass(frozen=True, slots=True)
class UsageQuery:
    """Normalised usage-analytics query: `lookback=Nd`, or inclusive `startDate`/`endDate`."""

    lookback: str | None = None
    start_date: str | None = None
    end_date: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, str]) -> UsageQuery:
        return cls(params.get("lookback"), params.get("startDate"), params.get("endDate"))

    def params(self) -> dict[str, str]:
        if self.start_date is not None and self.end_date is not None:
            return {"startDate": self.start_date, "endDate": self.end_date}
        return {"lookback": self.lookback or "7d"}


class BillingSource(Protocol):
    """Billing data for one tenant's Venice key."""

    async def balance(self, deadline: Deadline) -> Fetched[Balance]: ...

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]: ...

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]: ...
