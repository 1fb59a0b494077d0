"""Shared fixed answers (no tests here): the text goldens' data plus stale, hostile and huge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import tests.commands.test_golden as text_golden
from bot.cards import Stale
from bot.core import Answer
from bot.deadline import Deadline
from bot.errors import QueryTimedOut
from bot.venice.models import ApiKeys, Balance, UsageAnalytics
from bot.venice.source import Fetched, UsageQuery
from bot.venice.static_source import StaticBillingSource
from tests.asking import answer_text
from tests.commands.builders import FETCHED_AT, balance, context, key, source, usage

HOSTILE = "<!channel> <@U123> &lt; *bold*"
HOSTILE_MODEL = "<#C999|general> _it_ ~gone~ `tick` <https://evil.example|click>"


@dataclass
class StaleSource:
    """A BillingSource whose every answer was served stale by the cache, since one fixed time."""

    inner: StaticBillingSource
    stale: Stale

    async def balance(self, deadline: Deadline) -> Fetched[Balance]:
        fetched = await self.inner.balance(deadline)
        return Fetched(fetched.value, fetched.fetched_at, self.stale)

    async def usage(self, query: UsageQuery, deadline: Deadline) -> Fetched[UsageAnalytics]:
        fetched = await self.inner.usage(query, deadline)
        return Fetched(fetched.value, fetched.fetched_at, self.stale)

    async def api_keys(self, deadline: Deadline) -> Fetched[ApiKeys]:
        fetched = await self.inner.api_keys(deadline)
        return Fetched(fetched.value, fetched.fetched_at, self.stale)


def hostile() -> StaticBillingSource:
    keys = [*text_golden.KEYS[:3], key("feedbeef" * 4, HOSTILE, "99.00", "1.00", "5")]
    models = [*text_golden.MODELS[:2], text_golden.model(HOSTILE_MODEL, "50.00", "2.00", "10")]
    return source(
        balance_answer=balance(),
        usage_answer=usage(text_golden.month_of_days(30), models, keys, lookback="30d"),
    )


def many_keys(count: int = 60) -> StaticBillingSource:
    keys = [
        key(f"{i:032x}", f"service-{i:02d} worker", f"{i}.{i % 100:02d}", f"{i % 7}.5", "1000")
        for i in range(1, count + 1)
    ]
    return source(
        balance_answer=balance(),
        usage_answer=usage(text_golden.month_of_days(30), text_golden.MODELS, keys, "30d"),
    )


def stale() -> StaleSource:
    since = FETCHED_AT - timedelta(hours=20)
    return StaleSource(text_golden.rich(), Stale(since, "Venice is not answering"))


def timed_out() -> StaticBillingSource:
    return source(
        balance_answer=balance(),
        usage_answer=QueryTimedOut("Venice's query timed out. Try a shorter period."),
    )


def nothing() -> None:
    return None


# name, command text, source maker, expected outcome
CASES: list[tuple[str, str, Any, str]] = [
    *((name, text, make, "answered") for name, text, make in text_golden.CASES),
    ("help", "help", text_golden.rich, "answered"),
    ("help_top_keys", "help top-keys", text_golden.rich, "answered"),
    ("status_no_workspace", "status", text_golden.rich, "answered"),
    ("error_invalid", "usage 99d", text_golden.rich, "invalid"),
    ("error_no_key", "balance", nothing, "failed"),
    ("error_timed_out", "usage 30d", timed_out, "failed"),
    ("usage_30d_stale", "usage 30d", stale, "answered"),
    ("balance_stale", "balance", stale, "answered"),
    ("top_keys_hostile", "top-keys 30d 5", hostile, "answered"),
    ("top_models_hostile", "top-models 30d 5", hostile, "answered"),
    ("top_keys_50", "top-keys 30d 50", many_keys, "answered"),
]


async def ask(text: str, make_source: Any) -> Answer:
    """The core's answer to TEXT on the given fixed data, at the goldens' fixed now."""
    return await answer_text(text, context(make_source()))
