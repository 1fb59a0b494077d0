"""Typed, lenient models of Venice's billing answers (see the API notes: parse leniently).

Amounts are exact Decimals taken from the JSON text. Nulls become zero or empty lists, unknown
fields are ignored, `VCU` is read as `DIEM`, `byDate` is sorted oldest first whatever order Venice
used, and dates may be `YYYY-MM-DD`, ISO timestamps or Unix milliseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ZERO = Decimal(0)


class VeniceModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


def _zero_if_null(value: Any) -> Any:
    return ZERO if value is None else value


def _empty_if_null(value: Any) -> Any:
    return [] if value is None else value


def parse_day(value: Any) -> date:
    """A UTC day from `2024-01-15`, `2024-01-15T00:00:00.000Z` or Unix milliseconds."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        seconds = float(value) / 1000 if value > 10**11 else float(value)
        return datetime.fromtimestamp(seconds, tz=UTC).date()
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():  # before the length test: epoch seconds are 10 digits too
            return parse_day(int(text))
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed.astimezone(UTC).date() if parsed.tzinfo else parsed.date()
    raise ValueError(f"not a date: {value!r}")


def normalise_currency(value: Any) -> Any:
    """`VCU` is the old name of DIEM; other currencies pass through upper-cased."""
    if isinstance(value, str):
        upper = value.strip().upper()
        return "DIEM" if upper == "VCU" else upper
    return value


class Balances(VeniceModel):
    diem: Decimal | None = None
    usd: Decimal | None = None
    bundled_credits: Decimal | None = Field(default=None, alias="bundledCredits")
    earned_credits: Decimal | None = Field(default=None, alias="earnedCredits")


class Balance(VeniceModel):
    """`GET /billing/balance`."""

    can_consume: bool = Field(default=False, alias="canConsume")
    consumption_currency: str | None = Field(default=None, alias="consumptionCurrency")
    balances: Balances = Field(default_factory=Balances)
    diem_epoch_allocation: Decimal = Field(default=ZERO, alias="diemEpochAllocation")

    _currency = field_validator("consumption_currency", mode="before")(normalise_currency)
    _allocation = field_validator("diem_epoch_allocation", mode="before")(_zero_if_null)

    @field_validator("balances", mode="before")
    @classmethod
    def _balances(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("can_consume", mode="before")
    @classmethod
    def _can_consume(cls, value: Any) -> Any:
        return False if value is None else value


class DayUsage(VeniceModel):
    day: date = Field(alias="date")
    usd: Decimal = Field(default=ZERO, alias="USD")
    diem: Decimal = Field(default=ZERO, alias="DIEM")

    _day = field_validator("day", mode="before")(parse_day)
    _amounts = field_validator("usd", "diem", mode="before")(_zero_if_null)


class TokenBreakdown(VeniceModel):
    type: str = "Other"
    usd: Decimal = ZERO
    diem: Decimal = ZERO
    units: Decimal = ZERO

    _amounts = field_validator("usd", "diem", "units", mode="before")(_zero_if_null)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return "Other" if value is None else value


class ModelUsage(VeniceModel):
    model_name: str = Field(default="Unknown model", alias="modelName")
    unit_type: str | None = Field(default=None, alias="unitType")
    model_type: str | None = Field(default=None, alias="modelType")
    total_usd: Decimal = Field(default=ZERO, alias="totalUsd")
    total_diem: Decimal = Field(default=ZERO, alias="totalDiem")
    total_units: Decimal = Field(default=ZERO, alias="totalUnits")
    breakdown: list[TokenBreakdown] = Field(default_factory=list)

    _amounts = field_validator("total_usd", "total_diem", "total_units", mode="before")(
        _zero_if_null
    )
    _breakdown = field_validator("breakdown", mode="before")(_empty_if_null)

    @field_validator("model_name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> Any:
        return "Unknown model" if value is None or value == "" else value


WEB_APP = "Web App"


class KeyUsage(VeniceModel):
    api_key_id: str | None = Field(default=None, alias="apiKeyId")
    description: str | None = None
    total_usd: Decimal = Field(default=ZERO, alias="totalUsd")
    total_diem: Decimal = Field(default=ZERO, alias="totalDiem")
    total_units: Decimal = Field(default=ZERO, alias="totalUnits")

    _amounts = field_validator("total_usd", "total_diem", "total_units", mode="before")(
        _zero_if_null
    )

    @property
    def is_web_app(self) -> bool:
        """Usage from Venice's web app has no API key id."""
        return self.api_key_id is None

    @property
    def name(self) -> str:
        if self.description:
            return self.description
        if self.is_web_app:
            return WEB_APP
        return f"Key …{self.api_key_id[-6:]}" if self.api_key_id else "Unnamed key"


class UsageAnalytics(VeniceModel):
    """`GET /billing/usage-analytics`. The daily chart series are kept raw (their keys are names
    from the account): bot/venice/daily_series.py says which currency each one carries."""

    lookback: str | None = None
    by_date: list[DayUsage] = Field(default_factory=list, alias="byDate")
    by_model: list[ModelUsage] = Field(default_factory=list, alias="byModel")
    by_key: list[KeyUsage] = Field(default_factory=list, alias="byKey")
    by_model_daily: list[dict[str, Any]] = Field(default_factory=list, alias="byModelDaily")
    by_key_daily: list[dict[str, Any]] = Field(default_factory=list, alias="byKeyDaily")
    # Sent by the live API (and the official SDKs) though missing from the OpenAPI file.
    by_model_daily_usd: list[dict[str, Any]] = Field(default_factory=list, alias="byModelDailyUsd")
    by_key_daily_usd: list[dict[str, Any]] = Field(default_factory=list, alias="byKeyDailyUsd")
    top_models: list[str] = Field(default_factory=list, alias="topModels")
    top_key_names: list[str] = Field(default_factory=list, alias="topKeyNames")

    _lists = field_validator(
        "by_date",
        "by_model",
        "by_key",
        "by_model_daily",
        "by_key_daily",
        "by_model_daily_usd",
        "by_key_daily_usd",
        "top_models",
        "top_key_names",
        mode="before",
    )(_empty_if_null)

    @field_validator("by_date", mode="after")
    @classmethod
    def _oldest_first(cls, rows: list[DayUsage]) -> list[DayUsage]:
        return sorted(rows, key=lambda row: row.day)
