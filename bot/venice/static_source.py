"""A BillingSource over fixed answers: for tests, benchmarks and golden renderings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.deadline import Deadline
from bot.errors import VeniceError
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import Fetched, UsageQuery

UsageAnswer = UsageAnalytics | VeniceError


@dataclass
class StaticBillingSource:
    """Answers from given models. `usage_for` maps a query to an answer (or an error to raise);
    `usage` is the answer for any query it does not map. `requests` records what was asked
    ("balance", "api_keys" or the usage query)."""

    fetched_at: datetime
    balance_answer: Balance | VeniceError | None = None
    usage_answer: UsageAnswer | None = None
    usage_for: Mapping[UsageQuery, UsageAnswer] | Callable[[UsageQuery], UsageAnswer] = field(
        default_factory=dict
    )
    requests: list[str | UsageQuery] = field(default_factory=list)
    api_keys_answer: ApiKeys | VeniceError | None = None

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        self.requests.append("balance")
        answer = self.balance_answer
        if isinstance(answer, VeniceError):
            raise answer
        if answer is None:
            raise LookupError("StaticBillingSource has no balance answer")
        return Fetched(answer, self.fetched_at)

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        self.requests.append("api_keys")
        answer = self.api_keys_answer
        if isinstance(answer, VeniceError):
            raise answer
        if answer is None:
            raise LookupError("StaticBillingSource has no api_keys answer")
        return Fetched(answer, self.fetched_at)

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        self.requests.append(query)
        if callable(self.usage_for):
            answer: UsageAnswer | None = self.usage_for(query)
        else:
            answer = self.usage_for.get(query, self.usage_answer)
        if isinstance(answer, VeniceError):
            raise answer
        if answer is None:
            raise LookupError(f"StaticBillingSource has no usage answer for {query}")
        return Fetched(answer, self.fetched_at)
