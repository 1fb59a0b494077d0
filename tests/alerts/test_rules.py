"""Alert rules as people type them (bot/alerts/rules.py): each form, the tolerant spellings, and
each refusal's sentence and example."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.alerts.rules import (
    RULE_FORMS,
    AlertRule,
    parse_rule,
    parse_rule_id,
    parse_snooze,
)
from bot.errors import CommandTextError


def rule(text: str) -> AlertRule:
    return parse_rule(tuple(text.split()))


def refusal(text: str) -> CommandTextError:
    with pytest.raises(CommandTextError) as refused:
        parse_rule(tuple(text.split()))
    return refused.value


@pytest.mark.parametrize(
    ("typed", "kind", "threshold", "canonical"),
    [
        ("usd below 25", "usd_below", Decimal(25), "usd below 25"),
        ("usd below $25", "usd_below", Decimal(25), "usd below 25"),
        ("USD Below 25.50", "usd_below", Decimal("25.50"), "usd below 25.50"),
        ("usd below 25.5", "usd_below", Decimal("25.50"), "usd below 25.50"),
        ("usd under 25 usd", "usd_below", Decimal(25), "usd below 25"),
        ("usd below $ 1,000", "usd_below", Decimal(1000), "usd below 1000"),
        ("usd 25", "usd_below", Decimal(25), "usd below 25"),
        ("usd-below 25", "usd_below", Decimal(25), "usd below 25"),
        ("usd below 25.00", "usd_below", Decimal(25), "usd below 25"),
        ("diem used 80%", "diem_used", Decimal(80), "diem used 80%"),
        ("diem used 80 %", "diem_used", Decimal(80), "diem used 80%"),
        ("DIEM USED 80", "diem_used", Decimal(80), "diem used 80%"),
        ("diem used 82.5%", "diem_used", Decimal("82.5"), "diem used 82.5%"),
        ("diem used 100%", "diem_used", Decimal(100), "diem used 100%"),
        ("runway below 7d", "runway_below", Decimal(7), "runway below 7d"),
        ("runway below 7 days", "runway_below", Decimal(7), "runway below 7d"),
        ("runway under 1 day", "runway_below", Decimal(1), "runway below 1d"),
        ("runway below 7", "runway_below", Decimal(7), "runway below 7d"),
        ("runway 90d", "runway_below", Decimal(90), "runway below 90d"),
        ("spend above 50", "spend_above", Decimal(50), "spend above 50"),
        ("spend over $50.25", "spend_above", Decimal("50.25"), "spend above 50.25"),
        ("spike", "spike", None, "spike"),
        ("SPIKE", "spike", None, "spike"),
        ("key-cap 90%", "key_cap", Decimal(90), "key-cap 90%"),
        ("key-cap 90", "key_cap", Decimal(90), "key-cap 90%"),
        ("key cap 90 %", "key_cap", Decimal(90), "key-cap 90%"),
        ("keycap 90%", "key_cap", Decimal(90), "key-cap 90%"),
        ("funds-out", "funds_out", None, "funds-out"),
        ("funds out", "funds_out", None, "funds-out"),
    ],
)
def test_each_form_is_read_by_its_shape(
    typed: str, kind: str, threshold: Decimal | None, canonical: str
):
    read = rule(typed)
    assert (read.kind, read.threshold, read.text) == (kind, threshold, canonical)
    assert rule(read.text) == read  # the canonical text reads back as the same rule


def test_equal_rules_have_one_text_however_typed():
    assert rule("usd below $25.00").text == rule("USD under 25").text


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("usd below 25", "the USD balance below $25.00"),
        ("diem used 80%", "80% of today's DIEM allocation used"),
        ("runway below 1d", "the USD runway under 1 day"),
        ("runway below 7d", "the USD runway under 7 days"),
        ("spend above 50", "today's spend above 50 (USD and DIEM together, 1 DIEM as $1)"),
        ("spike", "a day's spend more than twice the median of the 7 days before"),
        ("key-cap 90%", "an API key at 90% of its own limit"),
        ("funds-out", "Venice saying the account cannot consume (out of funds)"),
    ],
)
def test_a_rule_describes_itself_in_words(text: str, described: str):
    assert rule(text).describe() == described


def test_the_help_lists_every_form():
    for form in ("usd below 25", "diem used 80%", "runway below 7d", "spend above 50", "spike",
                 "key-cap 90%", "funds-out"):  # fmt: skip
        assert f"`{form}`" in RULE_FORMS


@pytest.mark.parametrize(
    ("typed", "message", "example"),
    [
        ("", "Say which alert to set: `usd below 25`", "alert on usd below 25"),
        ("usd-belw 25", "There is no alert `usd-belw`. Did you mean `usd below 25`?",
         "alert on usd below 25"),
        ("dime used 80%", "There is no alert `dime`. Did you mean `diem used 80%`?",
         "alert on diem used 80%"),
        ("spikes", "There is no alert `spikes`. Did you mean `spike`?", "alert on spike"),
        ("fund-out", "Did you mean `funds-out`?", "alert on funds-out"),
        ("weather below 5", "There is no alert `weather`. Alerts: `usd below 25`",
         "alert on usd below 25"),
        ("usd above 25", "`usd` alerts are written `usd below ...`, not `above`.",
         "alert on usd below 25"),
        ("usd below", "`usd below` needs an amount in USD (`25` or `25.50`).",
         "alert on usd below 25"),
        ("usd below abc", "`usd below` needs an amount in USD (`25` or `25.50`), not `abc`.",
         "alert on usd below 25"),
        ("usd below 0", "The amount must be more than $0.", "alert on usd below 25"),
        ("usd below -5", "The amount must be more than $0.", "alert on usd below 25"),
        ("spend above 2000000", "The amount can be at most $1,000,000.",
         "alert on spend above 50"),
        ("usd below 25.555", "Give the amount to the cent at most (`25.50`).",
         "alert on usd below 25"),
        ("usd below 25,50", "needs an amount in USD (`25` or `25.50`), not `25,50`.",
         "alert on usd below 25"),
        ("diem used", "`diem used` needs a percentage from 1% to 100% (`80%`).",
         "alert on diem used 80%"),
        ("diem used 0%", "The percentage must be from 1% to 100%.", "alert on diem used 80%"),
        ("diem used 0.8", "The percentage must be from 1% to 100%.", "alert on diem used 80%"),
        ("key-cap 120%", "The percentage must be from 1% to 100%.", "alert on key-cap 90%"),
        ("diem used 80.25%", "Give the percentage with one decimal at most (`82.5%`).",
         "alert on diem used 80%"),
        ("runway below 0d", "The runway is whole days, from 1 to 90 (`7d`).",
         "alert on runway below 7d"),
        ("runway below 91d", "The runway is whole days, from 1 to 90 (`7d`).",
         "alert on runway below 7d"),
        ("runway below 7.5 days", "The runway is whole days, from 1 to 90 (`7d`).",
         "alert on runway below 7d"),
        ("runway below 7w", "`runway below` needs a number of days from 1 to 90 (`7d`), not `7w`.",
         "alert on runway below 7d"),
        ("usd below 25 please", "`please` after `usd below 25` is not part of the rule",
         "alert on usd below 25"),
        ("usd below 25 30", "`30` after `usd below 25` is not part of the rule",
         "alert on usd below 25"),
        ("spike today", "`today` after `spike` is not part of the rule", "alert on spike"),
        ("funds-out now", "`now` after `funds-out` is not part of the rule",
         "alert on funds-out"),
    ],
)  # fmt: skip
def test_each_refusal_says_what_is_wrong_with_an_example(typed: str, message: str, example: str):
    refused = refusal(typed)
    assert message in refused.message
    assert refused.example == example
    assert parse_rule(tuple(refused.example.split()[2:])) is not None  # the example is right


def test_a_pasted_key_or_a_long_word_is_never_quoted_back_whole():
    key = "VENICE_ADMIN_KEY_" + "abcdefghijklmnop1234"
    assert key not in refusal(key).message
    assert key not in refusal(f"usd below {key}").message
    long_word = "x" * 500
    assert len(refusal(long_word).message) < 250
    assert "not `2?5`." in refusal("usd below 2`5").message  # a backtick cannot end the quote


@pytest.mark.parametrize(("typed", "number"), [("3", 3), ("#12", 12), (" 7 ", 7)])
def test_a_rule_id_is_the_number_alert_list_shows(typed: str, number: int):
    assert parse_rule_id(typed) == number


@pytest.mark.parametrize("typed", ["0", "-1", "three", "1234567", "3a", "", "٣"])
def test_anything_else_is_not_a_rule_id(typed: str):
    with pytest.raises(CommandTextError, match="is not an alert id") as refused:
        parse_rule_id(typed)
    assert refused.value.example == "alert off 3"


@pytest.mark.parametrize(
    ("typed", "length"),
    [
        ("1h", timedelta(hours=1)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("12h", timedelta(hours=12)),
        ("3 days", timedelta(days=3)),
        ("4W", timedelta(weeks=4)),
    ],
)
def test_a_snooze_lasts_hours_days_or_weeks(typed: str, length: timedelta):
    assert parse_snooze(typed) == length


@pytest.mark.parametrize("typed", ["0h", "5w", "forever", "1y", "", "1.5h"])
def test_a_snooze_is_refused_past_four_weeks_or_in_other_units(typed: str):
    with pytest.raises(CommandTextError, match=r"Snooze for `1h`, `1d` or `1w`") as refused:
        parse_snooze(typed)
    assert refused.value.example == "alert snooze 3 1d"
