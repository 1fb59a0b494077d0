"""`balance`: the figures, the meter, the runway arithmetic, and missing data."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.cards import Tone
from bot.commands import balance as balance_command
from bot.errors import BadKey, QueryTimedOut, VeniceFailing
from bot.invocation import Invocation
from bot.reports.runway import Burn, BurnWindow, average_burn, countdown, diem_runway, usd_runway
from bot.venice.models import Balance
from bot.venice.source import Fetched, UsageQuery
from tests.asking import answer_text
from tests.commands.builders import (
    DOLLAR_DIEM,
    FETCHED_AT,
    NOW,
    TODAY,
    card_strings,
    context,
    field_value,
    has_field,
    source,
    usage,
    week,
)
from tests.commands.builders import balance as make_balance

D = Decimal
YESTERDAY = TODAY - timedelta(days=1)
# The 7 full UTC days before today: 2026-11-15 to 2026-11-21.
FULL_WEEK = UsageQuery(None, "2026-11-15", "2026-11-21")
WINDOW = "last 7 full UTC days"


def full_week(usd: list[str], diem: list[str]):
    """Daily rows ending yesterday, the last full UTC day."""
    return usage(week(usd, diem, end=YESTERDAY))


def steady_week(usd: str = "1", diem: str = "0"):
    return full_week([usd] * 7, [diem] * 7)


def burn_of(usd_per_day: str) -> Burn:
    return Burn(BurnWindow.before(TODAY), D(usd_per_day), D(0))


async def run(balance_answer, usage_answer=None):
    recent = usage_answer if usage_answer is not None else steady_week()
    src = source(balance_answer=balance_answer, usage_answer=recent)
    card = await balance_command.handle(Invocation("balance"), context(src))
    return card, src


async def test_shows_diem_left_allocation_and_used_share():
    card, _ = await run(make_balance(diem="37.5", allocation="100", usd="56.78"))
    assert field_value(card, "DIEM left today") == "37.50 DIEM"
    assert field_value(card, "Epoch allocation") == "100.00 DIEM"
    assert field_value(card, "USD balance") == "$56.78"
    assert card.meter is not None
    assert card.meter.fraction == D("0.625")
    assert card.meter.caption == "37.50 DIEM of 100.00 DIEM left"
    assert "62.5%" in (card.summary or "")
    assert card.data["diem"]["used_fraction"] == D("0.625")
    assert card.footer.as_of == FETCHED_AT


async def test_asks_for_balance_and_the_seven_full_utc_days_before_today():
    _, src = await run(make_balance())
    assert sorted(map(str, src.requests)) == sorted(["balance", str(FULL_WEEK)])


async def test_fetches_balance_and_runway_usage_concurrently():
    usage_started = asyncio.Event()

    class Waiting:
        async def balance(self, deadline):
            # Sequential fetching would never reach usage() while this waits.
            await asyncio.wait_for(usage_started.wait(), 2)
            return Fetched(make_balance(), FETCHED_AT)

        async def usage(self, query, deadline):
            usage_started.set()
            return Fetched(steady_week(), FETCHED_AT)

    card = await balance_command.handle(Invocation("balance"), context(Waiting()))
    assert field_value(card, "USD runway").startswith("~")


@pytest.mark.parametrize(
    ("diem", "allocation"),
    [(None, "100"), ("0", "0"), ("5", "0"), (None, "0"), (None, None)],
)
async def test_no_percentage_without_an_allocation_or_a_diem_balance(diem, allocation):
    card, _ = await run(make_balance(diem=diem, allocation=allocation))
    assert card.meter is None
    assert not any("%" in text for text in card_strings(card))
    assert card.data["diem"]["used_fraction"] is None


@pytest.mark.parametrize(
    ("diem", "allocation", "fraction", "shown"),
    [
        ("100", "100", D("0"), "0.0%"),
        ("0", "100", D("1"), "100.0%"),
        ("150", "100", D("0"), "0.0%"),  # more than the allocation: the bar stays at its end
        ("66.66", "100", D("0.3334"), "33.3%"),
    ],
)
async def test_meter_fraction_is_clamped_and_exact(diem, allocation, fraction, shown):
    card, _ = await run(make_balance(diem=diem, allocation=allocation))
    assert card.meter is not None
    assert card.meter.fraction == fraction
    assert f"({shown} of the allocation used)" in (card.summary or "")


async def test_epoch_reset_countdown_to_next_midnight_utc():
    card, _ = await run(make_balance())
    assert field_value(card, "Epoch resets") == "in 9 h 57 min (00:00 UTC)"
    assert card.data["epoch_resets_at"] == datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "text"),
    [
        (datetime(2026, 11, 22, 14, 3, tzinfo=UTC), "9 h 57 min"),
        (datetime(2026, 11, 22, 0, 0, tzinfo=UTC), "24 h"),
        (datetime(2026, 11, 22, 23, 18, 30, tzinfo=UTC), "41 min"),
        (datetime(2026, 11, 22, 23, 59, 30, tzinfo=UTC), "under a minute"),
        (datetime(2026, 11, 22, 22, 0, tzinfo=UTC), "2 h"),
    ],
)
def test_countdown(now, text):
    midnight = datetime(2026, 11, 23, tzinfo=UTC)
    assert countdown(now, midnight) == text


@pytest.mark.parametrize(
    ("currency", "shown"),
    [
        ("DIEM", "DIEM"),
        ("VCU", "DIEM"),
        ("EARNED_CREDITS", "earned credits"),
        ("BUNDLED_CREDITS", "bundled credits"),
        ("USD", "USD"),
        (None, "nothing: no funds"),
        ("SOMETHING_NEW", "SOMETHING_NEW"),
    ],
)
async def test_what_is_charged_next(currency, shown):
    card, _ = await run(make_balance(currency=currency))
    assert field_value(card, "Charged next") == shown


async def test_cannot_consume_warns_and_is_danger():
    card, _ = await run(make_balance(can_consume=False))
    assert card.tone is Tone.DANGER
    assert any("canConsume is false" in note and "$0.10" in note for note in card.notes)


async def test_can_consume_has_no_warning_note():
    card, _ = await run(make_balance())
    assert not any("canConsume" in note for note in card.notes)
    assert card.tone is Tone.GOOD


async def test_credit_fields_only_when_present():
    plain, _ = await run(make_balance())
    assert not has_field(plain, "Bundled credits")
    assert not has_field(plain, "Earned credits")
    with_credits, _ = await run(make_balance(bundledCredits="12.5", earnedCredits="0"))
    assert field_value(with_credits, "Bundled credits") == "12.50 credits"
    assert field_value(with_credits, "Earned credits") == "0.00 credits"


async def test_nulls_everywhere_still_answer():
    card, _ = await run(
        make_balance(diem=None, usd=None, allocation=None, can_consume=None, currency=None)
    )
    assert not has_field(card, "DIEM left today")  # the summary says "No DIEM staked"
    assert field_value(card, "USD balance") == "none"
    assert field_value(card, "Charged next") == "nothing: no funds"
    assert card.meter is None
    assert card.tone is Tone.DANGER  # a null canConsume is read as false


async def test_empty_account():
    card, _ = await run(Balance.model_validate({}), usage())
    # Nothing staked, nothing to spend, nothing spent: no DIEM fields, no runway to speak of.
    assert [field.label for field in card.fields] == ["USD balance", "Charged next"]
    assert card.summary == "No DIEM staked · no USD balance"


@pytest.mark.parametrize(
    ("funds", "week_usd", "week_diem", "labels"),
    [
        # USD only: not one DIEM line.
        (
            {"diem": None, "allocation": "0", "usd": "50", "currency": "USD"},
            "7",
            "0",
            ["USD balance", "Charged next", "USD burn", "USD runway"],
        ),
        # DIEM only: no USD burn or runway of nothing.
        (
            {"diem": "20", "allocation": "40", "usd": None},
            "0",
            "14",
            [
                "DIEM left today",
                "Epoch allocation",
                "Epoch resets",
                "USD balance",
                "Charged next",
                "DIEM burn",
                "DIEM runway",
            ],
        ),
    ],
)
async def test_a_one_currency_account_reads_of_that_currency(funds, week_usd, week_diem, labels):
    card, _ = await run(make_balance(**funds), full_week([week_usd], [week_diem]))
    assert [field.label for field in card.fields] == labels


# Runway arithmetic. NOW is 14:03 UTC: the reset is 9 h 57 min (35,820 s) away.
@pytest.mark.parametrize(
    ("left", "burn", "runs_out", "text"),
    [
        ("10", "24", None, "lasts until the reset"),  # 10 h of DIEM left
        ("10", "48", "19:03", "runs out around 19:03 UTC"),  # 5 h left
        ("0.1", "0.3", "22:03", "runs out around 22:03 UTC"),  # 8 h left, exact decimals
        ("0", "5", "14:03", "none left until the reset"),
        ("10", "0", None, f"lasts until the reset (no DIEM spend in the {WINDOW})"),
        ("4.145833", "10", "23:59", "runs out around 23:59 UTC"),  # just short of the reset
        ("4.145834", "10", None, "lasts until the reset"),  # just past it
    ],
)
def test_diem_runway(left, burn, runs_out, text):
    runway = diem_runway(D(left), D(burn), NOW)
    assert runway.lasts_until_reset is (runs_out is None)
    if runs_out is not None:
        assert runway.runs_out_at is not None
        assert f"{runway.runs_out_at:%H:%M}" == runs_out
    assert runway.describe() == text


@pytest.mark.parametrize(
    ("usd", "burn", "days", "until", "text", "short"),
    [
        ("41.5", "1", 41, date(2027, 1, 2), "~41 days, until 2027-01-02", False),
        ("1", "1", 1, date(2026, 11, 23), "~1 day, until 2026-11-23", True),
        ("6.99", "1", 6, date(2026, 11, 28), "~6 days, until 2026-11-28", True),
        ("7", "1", 7, date(2026, 11, 29), "~7 days, until 2026-11-29", False),
        ("0.3", "0.1", 3, date(2026, 11, 25), "~3 days, until 2026-11-25", True),
        ("0.5", "1", 0, date(2026, 11, 22), "less than a day", True),
        ("0", "1", 0, date(2026, 11, 22), "no USD balance left", True),
        (None, "1", 0, date(2026, 11, 22), "no USD balance left", True),
        ("100", "0", None, None, f"no USD spend in the {WINDOW}", False),
        ("0", "0", None, None, f"no USD spend in the {WINDOW}", False),
        ("1000000000", "0.01", 100000000000, None, "more than 10 years", False),
    ],
)
def test_usd_runway(usd, burn, days, until, text, short):
    runway = usd_runway(make_balance(usd=usd), burn_of(burn), NOW.date())
    assert runway.days == days
    assert runway.until == until
    assert runway.describe() == text
    assert runway.short is short


@pytest.mark.parametrize(
    ("credits", "usd", "burn", "days", "text"),
    [
        # The account: $7.89 and 20.125 bundled credits, charged first, at $1.27 a day.
        (
            {"bundledCredits": "20.125"},
            "7.89",
            "1.27",
            22,
            "~22 days, until 2026-12-14 (20.13 credits first, then USD)",
        ),
        # Venice's order: earned credits, then bundled ones, then USD.
        (
            {"bundledCredits": "2", "earnedCredits": "1"},
            "3",
            "1",
            6,
            "~6 days, until 2026-11-28 (3.00 credits first, then USD)",
        ),
        (
            {"bundledCredits": "3"},
            None,
            "1",
            3,
            "~3 days, until 2026-11-25 (3.00 credits first, then USD)",
        ),
        ({"bundledCredits": "0", "earnedCredits": None}, "7", "1", 7, "~7 days, until 2026-11-29"),
    ],
)
def test_credits_charged_before_usd_count_in_venices_order(credits, usd, burn, days, text):
    runway = usd_runway(make_balance(usd=usd, **credits), burn_of(burn), NOW.date())
    assert runway.days == days
    assert runway.describe() == text
    assert [fund.name for fund in runway.funds][-1] == "USD"


@pytest.mark.parametrize(
    ("rows", "usd_per_day", "diem_per_day"),
    [
        # Exact sums over 7 days, days without a row counted as nothing spent.
        (full_week(["0.1", "0.2", "0", "0.4"], ["0.7", "0", "0", "0"]).by_date, "0.1", "0.1"),
        # Today's partial day is never counted, however much it holds.
        (usage(week(["1"] * 7 + ["700"], ["0"] * 8)).by_date, "1", "0"),
        # Nor is a day before the window.
        (usage(week(["70", "1"], ["0", "0"], end=TODAY - timedelta(days=7))).by_date, "1/7", "0"),
    ],
    ids=["exact-sum", "today-left-out", "before-the-window"],
)
def test_average_burn_of_the_last_seven_full_utc_days(rows, usd_per_day, diem_per_day):
    burn = average_burn(rows, TODAY)
    assert burn.window == BurnWindow(date(2026, 11, 15), date(2026, 11, 21))
    numerator, _, denominator = usd_per_day.partition("/")
    assert burn.usd_per_day == D(numerator) / D(denominator or 1)
    assert burn.diem_per_day == D(diem_per_day)


@pytest.mark.parametrize(
    ("diem", "week_diem", "usd", "week_usd", "diem_text", "usd_text", "tone"),
    [
        ("50", "70", "41.5", "7", "lasts until the reset", "~41 days, until 2027-01-02", Tone.GOOD),
        (
            "5",
            "140",
            "41.5",
            "7",
            "runs out around 20:03 UTC",
            "~41 days, until 2027-01-02",
            Tone.WARNING,
        ),
        ("50", "70", "6", "7", "lasts until the reset", "~6 days, until 2026-11-28", Tone.WARNING),
        (
            "50",
            "0",
            "10",
            "0",
            f"lasts until the reset (no DIEM spend in the {WINDOW})",
            f"no USD spend in the {WINDOW}",
            Tone.GOOD,
        ),
    ],
)
async def test_runway_on_the_card(diem, week_diem, usd, week_usd, diem_text, usd_text, tone):
    # The week's totals are spread over fewer rows than days: missing days spent nothing.
    recent = full_week([week_usd, "0"], [week_diem, "0"])
    card, _ = await run(make_balance(diem=diem, usd=usd), recent)
    assert field_value(card, "DIEM runway") == diem_text
    assert field_value(card, "USD runway") == usd_text
    assert field_value(card, "USD burn").endswith(f"/day over the {WINDOW}")
    assert card.footer.note == f"Burn: the average of the {WINDOW} (2026-11-15 to 2026-11-21)."
    assert card.tone is tone


async def test_runway_failure_still_answers_balance():
    src = source(
        balance_answer=make_balance(),
        usage_answer=QueryTimedOut("Venice's query timed out. Try a shorter period."),
    )
    result = await answer_text("balance", context(src))
    assert result.outcome == "answered"
    card = result.card
    assert field_value(card, "DIEM left today") == "37.50 DIEM"
    assert "Runway unavailable: Venice's query timed out." in card.notes
    assert card.footer.note is None
    assert not has_field(card, "USD runway")
    assert card.tone is Tone.INFO
    assert card.data["runway"] is None
    assert card.data["runway_error"] == "Venice's query timed out"


async def test_balance_failure_fails_the_command():
    src = source(
        balance_answer=BadKey("Venice does not know this key."), usage_answer=steady_week()
    )
    result = await answer_text("balance", context(src))
    assert result.outcome == "failed"
    assert result.card.kind == "error"


async def test_balance_failure_with_runway_failure_too():
    failing = VeniceFailing("Venice failed (502).")
    src = source(balance_answer=failing, usage_answer=failing)
    with pytest.raises(VeniceFailing):
        await balance_command.handle(Invocation("balance"), context(src))


async def test_balance_failure_does_not_wait_for_the_runway():
    cancelled = asyncio.Event()

    class SlowUsage:
        async def balance(self, deadline):
            await asyncio.sleep(0)
            raise BadKey("Venice does not know this key.")

        async def usage(self, query, deadline):
            try:
                await asyncio.sleep(30)
            finally:
                cancelled.set()

    with pytest.raises(BadKey):
        await asyncio.wait_for(
            balance_command.handle(Invocation("balance"), context(SlowUsage())), 2
        )
    assert cancelled.is_set()


async def test_no_key():
    result = await answer_text("balance", context(None))
    assert result.outcome == "failed"


@pytest.mark.parametrize(
    "balance_answer",
    [
        make_balance(),
        make_balance(diem="0.004", allocation="0.01", usd="0.001"),
        make_balance(diem=None, usd=None, allocation=None, currency=None, can_consume=False),
        make_balance(bundledCredits="3", earnedCredits="1"),
    ],
)
async def test_no_dollar_sign_before_diem(balance_answer):
    card, _ = await run(balance_answer, full_week(["1.5", "2"], ["3.25", "0.5"]))
    for text in card_strings(card):
        assert not re.search(DOLLAR_DIEM, text), text


async def test_data_is_machine_readable():
    card, _ = await run(make_balance(), full_week(["7"], ["14"]))
    data = card.to_dict()["data"]
    assert data["diem"] == {"left": "37.5", "allocation": "100", "used_fraction": "0.6250"}
    assert data["usd"] == "56.78"
    assert data["runway"]["usd_days"] == 56
    assert data["runway"]["usd_until"] == "2027-01-17"
    assert data["runway"]["burn_per_day"] == {"usd": "1.000000", "diem": "2.000000"}
    assert data["runway"]["burn_window"] == {
        "start": "2026-11-15",
        "end": "2026-11-21",
        "full_utc_days": 7,
    }
    assert data["runway"]["usd_funds"] == [{"name": "USD", "amount": "56.78"}]
