"""Error cards: each says what happened and the next step, and none ever shows a key."""

from __future__ import annotations

from datetime import date

import pytest

from bot.cards import Tone
from bot.error_cards import failure_card, invalid_card, no_key_card
from bot.errors import (
    AdminKeyRequired,
    BadKey,
    CommandTextError,
    InvalidPeriod,
    PaymentRequired,
    QueryTimedOut,
    RateLimited,
    UnexpectedResponse,
    VeniceError,
    VeniceFailing,
    VeniceNetworkError,
    VeniceRejected,
    VeniceTimeout,
    VeniceUnavailable,
)
from bot.invocation import Invocation
from bot.period import parse_period

TODAY = date(2026, 11, 22)
USAGE_30D = Invocation("usage", period=parse_period("30d", TODAY))
BALANCE = Invocation("balance")
# What a careless lower layer might put in a message: the card must never repeat it.
LEAKY = "GET /billing/usage failed; Authorization: Bearer sim-admin-0123456789abcdef"


@pytest.mark.parametrize(
    ("error", "invocation", "next_step"),
    [
        (InvalidPeriod(LEAKY, detail="lookback must be at most 90d"), USAGE_30D, "`usage 30d`"),
        (BadKey(LEAKY), USAGE_30D, "Create a new ADMIN key at https://venice.ai/settings/api"),
        (AdminKeyRequired(LEAKY), BALANCE, "https://venice.ai/settings/api"),
        (PaymentRequired(LEAKY, status=402), BALANCE, "received no API key"),
        (RateLimited(LEAKY, retry_after=30), BALANCE, "Try again in 30 s."),
        (RateLimited(LEAKY, retry_after=0.2), BALANCE, "Try again in 1 s."),
        (RateLimited(LEAKY, retry_after=600), BALANCE, "Try again in 10 min."),
        (RateLimited(LEAKY), BALANCE, "Try again in a minute."),
        (QueryTimedOut(LEAKY), USAGE_30D, "Try a shorter period, e.g. `usage 15d`."),
        (
            QueryTimedOut(LEAKY),
            Invocation("top-keys", period=parse_period("7d", TODAY), limit=10),
            "`top-keys 3d`",
        ),
        (
            QueryTimedOut(LEAKY),
            Invocation("usage", period=parse_period("today", TODAY)),
            "Try again in a few minutes.",
        ),
        (VeniceFailing(LEAKY, status=503), BALANCE, "(HTTP 503). Try again in a few minutes."),
        (VeniceNetworkError(LEAKY), BALANCE, "Check the network and VENICE_API_BASE"),
        (
            VeniceTimeout(LEAKY),
            USAGE_30D,
            "Try again, or ask for a shorter period, e.g. `usage 15d`.",
        ),
        (VeniceTimeout(LEAKY), BALANCE, "Try again in a minute."),
        (UnexpectedResponse(LEAKY, status=200), BALANCE, "report it if it keeps happening"),
        (VeniceRejected(LEAKY, status=404), BALANCE, "(HTTP 404)"),
        (VeniceUnavailable(LEAKY), BALANCE, "Try again in a few minutes."),
        (VeniceError(LEAKY), BALANCE, "Try again in a few minutes."),
    ],
)
def test_every_venice_error_names_the_next_step(error, invocation, next_step):
    card = failure_card(error, invocation)
    assert card.kind == "error"
    assert card.title
    assert len(card.title) <= 40
    assert card.summary is not None
    assert next_step in card.summary
    assert card.summary.count(". ") <= 2, "one or two sentences"
    assert card.data["error"] == type(error).__name__
    assert card.data["status"] == error.status
    shown = card.title + card.summary
    for secret in ("sim-admin", "Bearer", "Authorization", "0123456789abcdef"):
        assert secret not in shown
        assert secret not in str(card.to_dict())


def test_invalid_period_quotes_venices_field_message():
    error = InvalidPeriod("Venice: 400", detail="Lookback must be between 1d and 90d")
    card = failure_card(error, USAGE_30D)
    assert card.summary == (
        "Venice did not accept the period: Lookback must be between 1d and 90d. "
        "Periods can span at most 90 days, e.g. `usage 30d`."
    )


@pytest.mark.parametrize(
    "detail",
    [
        "invalid key VENICE_ADMIN_KEY_abc123 for lookback",
        "Bearer sim-admin was given",
        "token a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8 rejected",
    ],
)
def test_a_field_message_that_looks_like_a_credential_is_not_repeated(detail):
    card = failure_card(InvalidPeriod("400", detail=detail), USAGE_30D)
    assert card.summary == (
        "Venice did not accept the period. Periods can span at most 90 days, e.g. `usage 30d`."
    )


def test_a_hostile_field_message_is_flattened_and_clipped():
    detail = "bad\x1b[2J\nperiod " + "too long " * 60
    summary = failure_card(InvalidPeriod("400", detail=detail), USAGE_30D).summary
    assert summary is not None
    assert summary.startswith("Venice did not accept the period: bad [2J period too long")
    assert "\x1b" not in summary
    assert "\n" not in summary
    assert "…" in summary
    assert len(summary) < 300


def test_rate_limit_data_carries_the_wait():
    card = failure_card(RateLimited("429", retry_after=12.5), BALANCE)
    assert card.data == {"error": "RateLimited", "status": 429, "retry_after": 12.5}
    assert "in 13 s" in (card.summary or "")


def test_transient_errors_warn_and_refusals_are_danger():
    assert failure_card(VeniceFailing("x", status=502), BALANCE).tone is Tone.WARNING
    assert failure_card(BadKey("x"), BALANCE).tone is Tone.DANGER


def test_invalid_text_card_offers_the_example():
    card = invalid_card(CommandTextError("There is no command `usgae`.", example="usage"))
    assert card.kind == "error"
    assert card.summary == "There is no command `usgae`. Try: `usage`"
    assert card.data["error"] == "CommandTextError"
    assert card.data["example"] == "usage"


def test_invalid_text_card_without_example():
    card = invalid_card(CommandTextError("That is not right."))
    assert card.summary == "That is not right."


def test_no_key_card_says_how_to_connect_one():
    card = no_key_card()
    assert card.kind == "error"
    assert card.summary is not None
    for step in ("VENICE_API_KEY", "ADMIN", "https://venice.ai/settings/api", "`/venice connect`"):
        assert step in card.summary
    assert card.data == {"error": "NoVeniceKey", "status": None, "retry_after": None}
