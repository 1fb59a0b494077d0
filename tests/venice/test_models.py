"""The billing models read every shape Venice is known to send, exactly and leniently."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.venice.models import Balance, DayUsage, UsageAnalytics, parse_day
from bot.venice.responses import read_json

FIXTURES = Path(__file__).parent.parent / "fixtures" / "venice"


def load(model, name):
    """Parse a fixture the way the client parses a body: exact JSON, then the model."""
    return model.model_validate(read_json((FIXTURES / name).read_bytes()))


def test_balance_of_the_spec_example():
    balance = load(Balance, "balance_spec.json")
    assert balance.can_consume is True
    assert balance.consumption_currency == "DIEM"
    assert balance.balances.diem == Decimal("90.5")
    assert balance.balances.usd == Decimal("25")
    assert balance.diem_epoch_allocation == Decimal("100")


def test_balance_without_staking_or_funds_reads_nulls():
    balance = load(Balance, "balance_not_staking.json")
    assert balance.can_consume is False
    assert balance.consumption_currency is None
    assert balance.balances.diem is None
    assert balance.balances.usd is None
    assert balance.diem_epoch_allocation == 0


def test_balance_with_newer_fields_and_currency():
    balance = load(Balance, "balance_newer_fields.json")
    assert balance.consumption_currency == "EARNED_CREDITS"
    assert balance.balances.usd == Decimal("12.3456789")
    assert balance.balances.bundled_credits == Decimal("5.25")
    assert balance.balances.earned_credits == Decimal("1.75")
    assert balance.diem_epoch_allocation == Decimal("40")


def test_vcu_is_read_as_diem_and_null_allocation_as_zero():
    balance = load(Balance, "balance_vcu.json")
    assert balance.consumption_currency == "DIEM"
    assert balance.balances.diem == Decimal("7.125")
    assert balance.diem_epoch_allocation == 0


@pytest.mark.parametrize("currency", ["vcu", " VCU ", "Vcu"])
def test_vcu_spelt_any_way_is_diem(currency):
    balance = Balance.model_validate({"consumptionCurrency": currency})
    assert balance.consumption_currency == "DIEM"


def test_balance_body_reduced_to_nulls_still_reads():
    balance = Balance.model_validate(
        {"canConsume": None, "consumptionCurrency": None, "balances": None,
         "diemEpochAllocation": None}
    )  # fmt: skip
    assert balance.can_consume is False
    assert balance.balances.diem is None
    assert balance.diem_epoch_allocation == 0


def test_usage_of_the_spec_example_descending_with_timestamps():
    usage = load(UsageAnalytics, "usage_spec.json")
    assert [row.day for row in usage.by_date] == [date(2024, 1, 14), date(2024, 1, 15)]
    assert [row.usd for row in usage.by_date] == [Decimal("0.3"), Decimal("0.5")]
    assert [row.diem for row in usage.by_date] == [Decimal("8.75"), Decimal("10.25")]
    model = usage.by_model[0]
    assert model.model_name == "GLM 5.1"
    assert [(b.type, b.usd, b.units) for b in model.breakdown] == [
        ("Output", Decimal("0.3"), Decimal("35000")),
        ("Input", Decimal("0.1"), Decimal("15000")),
    ]
    assert usage.top_models == ["GLM 5.1", "Kimi K2.6"]
    production, web = usage.by_key
    assert production.name == "Production Key"
    assert not production.is_web_app
    assert web.is_web_app
    assert web.name == "Web App"
    assert web.total_diem == Decimal("4")


def test_usage_ascending_with_plain_dates_nulls_and_unknown_series():
    usage = load(UsageAnalytics, "usage_ascending_lenient.json")
    assert [row.day for row in usage.by_date] == [
        date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)
    ]  # fmt: skip
    assert usage.by_date[1].usd == Decimal("0.000123")
    assert usage.by_date[1].diem == 0
    large, flux = usage.by_model
    assert large.breakdown == []  # missing: the model has one token type
    assert large.model_type is None
    assert flux.breakdown == []
    assert flux.unit_type is None
    named_by_id, web = usage.by_key
    assert named_by_id.name == "Key …ab12cd"
    assert web.is_web_app
    assert web.name == "Web App"
    assert web.total_diem == 0


def test_usage_with_no_spend_and_null_series():
    usage = load(UsageAnalytics, "usage_empty.json")
    assert usage.lookback == "90d"
    assert usage.by_date == []
    assert usage.by_model_daily == []
    assert usage.top_models == []
    assert usage.top_key_names == []


def test_usage_body_missing_every_list_reads_as_empty():
    usage = UsageAnalytics.model_validate({})
    assert usage.by_date == usage.by_model == usage.by_key == []


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-01-15", date(2024, 1, 15)),
        ("2024-01-15T00:00:00.000Z", date(2024, 1, 15)),
        ("2024-01-15T23:30:00-02:00", date(2024, 1, 16)),  # a UTC day
        ("2024-01-15T12:00:00", date(2024, 1, 15)),
        (1705276800000, date(2024, 1, 15)),
        (Decimal("1705276800000"), date(2024, 1, 15)),
        ("1705276800000", date(2024, 1, 15)),
        ("1705276800", date(2024, 1, 15)),
        (1705276800, date(2024, 1, 15)),
    ],
)
def test_days_in_every_known_form(raw, day):
    assert parse_day(raw) == day
    assert DayUsage.model_validate({"date": raw, "USD": 1, "DIEM": 2}).day == day


@pytest.mark.parametrize("raw", ["yesterday", "", "2024-13-01", None, True])
def test_a_row_without_a_readable_day_is_refused(raw):
    with pytest.raises(ValidationError):
        DayUsage.model_validate({"date": raw, "USD": 1, "DIEM": 2})


def test_amounts_are_exact_decimals_from_the_json_text():
    body = json.dumps({"byDate": [{"date": "2024-01-01", "USD": 0, "DIEM": 0}]}).replace(
        '"USD": 0', '"USD": 0.1234567890123456789'
    )
    usage = UsageAnalytics.model_validate(read_json(body.encode()))
    assert usage.by_date[0].usd == Decimal("0.1234567890123456789")
    assert usage.by_date[0].usd * 3 == Decimal("0.3703703670370370367")
