"""What a chat reply offers next: Share only for answered billing reports, period shortcuts that
keep N, and the current period marked."""

from __future__ import annotations

import pytest

from bot.followups import command_text, period_choices, shareable
from bot.venice.static_source import StaticBillingSource
from tests.asking import answer_text
from tests.commands.builders import balance, context, source, usage


def team() -> StaticBillingSource:
    return source(balance_answer=balance(), usage_answer=usage())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance", True),
        ("usage 30d", True),
        ("top-keys 30d 5", True),
        ("top-models", True),
        ("help", False),
        ("status", False),
        ("connect", False),
        ("usage 91d", False),  # invalid: an error card
    ],
)
async def test_only_answered_billing_reports_are_shareable(text: str, expected: bool) -> None:
    reply = await answer_text(text, context(team()))
    assert shareable(reply) is expected


async def test_a_failed_report_is_not_shareable() -> None:
    reply = await answer_text("balance", context(None))  # no key configured
    assert reply.outcome == "failed"
    assert not shareable(reply)


async def test_period_choices_keep_n_and_mark_the_current_period() -> None:
    reply = await answer_text("top-keys 30d 5", context(team()))
    choices = period_choices(reply)
    assert [(c.label, c.text, c.current) for c in choices] == [
        ("7d", "top-keys 7d 5", False),
        ("30d", "top-keys 30d 5", True),
        ("90d", "top-keys 90d 5", False),
    ]


async def test_balance_has_no_period_choices_and_named_periods_mark_none() -> None:
    assert period_choices(await answer_text("balance", context(team()))) == ()
    month = period_choices(await answer_text("usage this-month", context(team())))
    assert [c.text for c in month] == ["usage 7d", "usage 30d", "usage 90d"]
    assert not any(c.current for c in month)


async def test_command_text_without_a_limit() -> None:
    reply = await answer_text("usage 30d", context(team()))
    assert reply.invocation is not None
    assert command_text(reply.invocation, period="90d") == "usage 90d"
