"""Typed, lenient models of Venice's billing answers (see the API notes: parse leniently).

Amounts are exact Decimals taken from the JSON text. Nulls become zero or empty lists, unknown
fields are ignored, `VCU` is read as `DIEM`, `byDate` is sorted oldest first whatever order Venice
used, and dates may be `YYYY-MM-DD`, ISO timestamps or Unix milliseconds. `/api_keys` sends its
amounts as strings: they are read into the same exact Decimals (numbers are accepted too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field, field_validator

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


# GET /api_keys

Currency = Literal["usd", "diem"]
CURRENCIES: tuple[Currency, ...] = ("usd", "diem")


def lenient_amount(value: Any) -> Decimal | None:
    """An amount sent as a string or a number; None for null, "" or anything not a finite number
    (a limit Venice garbles must not take the whole answer down)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int | float | str):
        try:
            amount = Decimal(str(value).strip())
        except ArithmeticError:
            return None
        return amount if amount.is_finite() else None
    return None


def lenient_instant(value: Any) -> datetime | None:
    """An instant from ISO 8601 text (`Z` or an offset; UTC when it has none) or Unix seconds or
    milliseconds; None for null or anything unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        if isinstance(value, int | float | Decimal):
            seconds = float(value) / 1000 if value > 10**11 else float(value)
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return lenient_instant(int(text))
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _upper_or_none(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().upper() or None
    return None


class KeyLimits(VeniceModel):
    """A key's consumption limit per currency: None is no limit, 0 is that currency disabled."""

    usd: Decimal | None = None
    diem: Decimal | None = None

    _amounts = field_validator("usd", "diem", mode="before")(lenient_amount)


class KeyAmounts(VeniceModel):
    """A key's usage per currency (missing or unreadable amounts count as zero)."""

    usd: Decimal = ZERO
    diem: Decimal = ZERO

    @field_validator("usd", "diem", mode="before")
    @classmethod
    def _amounts(cls, value: Any) -> Decimal:
        amount = lenient_amount(value)
        return ZERO if amount is None else amount


def _object_or_none(value: Any) -> Any:
    return value if isinstance(value, dict | BaseModel) else None


class ApiKey(VeniceModel):
    """One API key of `GET /api_keys`: its limits over `limit_period` and what it used.

    `limit_period` is EPOCH (the UTC day), MONTH or LIFETIME, upper-cased; another value Venice
    may add is kept as sent. `current_period_usage` is what the key used in that period: Venice
    sends it only for a key with a limit, so it is None otherwise (or when Venice left it out).
    """

    id: str | None = None
    key_type: str | None = Field(default=None, alias="apiKeyType")
    description: str | None = None
    created_at: datetime | None = Field(default=None, alias="createdAt")
    expires_at: datetime | None = Field(default=None, alias="expiresAt")
    last_used_at: datetime | None = Field(default=None, alias="lastUsedAt")
    last6: str | None = Field(default=None, alias="last6Chars")
    limits: KeyLimits = Field(default_factory=KeyLimits, alias="consumptionLimits")
    limit_period: str | None = Field(default=None, alias="limitPeriod")
    # Venice nests it as usage.trailingSevenDays; the cache writes it back under its own name.
    trailing_7d: KeyAmounts = Field(
        default_factory=KeyAmounts,
        validation_alias=AliasChoices(AliasPath("usage", "trailingSevenDays"), "trailing7d"),
        serialization_alias="trailing7d",
    )
    current_period_usage: KeyAmounts | None = Field(default=None, alias="currentPeriodUsage")

    _upper = field_validator("key_type", "limit_period", mode="before")(_upper_or_none)
    _instants = field_validator("created_at", "expires_at", "last_used_at", mode="before")(
        lenient_instant
    )

    @field_validator("id", "description", "last6", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value) if isinstance(value, int | Decimal) else None

    @field_validator("limits", mode="before")
    @classmethod
    def _limits(cls, value: Any) -> Any:
        return _object_or_none(value) or {}

    @field_validator("trailing_7d", mode="before")
    @classmethod
    def _trailing(cls, value: Any) -> Any:
        return _object_or_none(value) or {}

    @field_validator("current_period_usage", mode="before")
    @classmethod
    def _current(cls, value: Any) -> Any:
        return _object_or_none(value)

    @property
    def is_admin(self) -> bool:
        """True for an ADMIN key (it can read billing); INFERENCE keys and unknown types are not."""
        return self.key_type == "ADMIN"

    @property
    def name(self) -> str:
        """The key's description, else `Key …` and its id's last 6 characters (as byKey's rows)."""
        if self.description:
            return self.description
        # As KeyUsage.name: the same key gets the same name in every report.
        return f"Key …{self.id[-6:]}" if self.id else "Unnamed key"

    def limit(self, currency: Currency) -> Decimal | None:
        """The key's limit in CURRENCY for its period; None when it has none."""
        return self.limits.usd if currency == "usd" else self.limits.diem

    def used_in_period(self, currency: Currency) -> Decimal | None:
        """What the key used of CURRENCY in its limit's period; None when Venice did not say."""
        used = self.current_period_usage
        if used is None:
            return None
        return used.usd if currency == "usd" else used.diem

    def spending_disabled(self, currency: Currency) -> bool:
        """True when the key's limit in CURRENCY is 0 (or less): it may not spend it at all."""
        limit = self.limit(currency)
        return limit is not None and limit <= 0

    def cap_share(self, currency: Currency) -> Decimal | None:
        """The share of its CURRENCY cap the key has used this period (1 is the whole cap; more
        is possible), exact. None when there is no cap, the cap is 0 (see spending_disabled) or
        Venice sent no current-period usage."""
        limit = self.limit(currency)
        used = self.used_in_period(currency)
        if limit is None or limit <= 0 or used is None:
            return None
        return used / limit

    def cap_shares(self) -> dict[Currency, Decimal]:
        """The share used of each cap the key has (currencies with no cap or a 0 cap left out)."""
        shares: dict[Currency, Decimal] = {}
        for currency in CURRENCIES:
            share = self.cap_share(currency)
            if share is not None:
                shares[currency] = share
        return shares


class ApiKeys(VeniceModel):
    """`GET /api_keys`: every key of the account, in Venice's order."""

    keys: tuple[ApiKey, ...] = Field(default=(), alias="data")

    @field_validator("keys", mode="before")
    @classmethod
    def _rows(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return ()
        return tuple(row for row in value if isinstance(row, dict | BaseModel))

    def by_id(self, key_id: str) -> ApiKey | None:
        """The key with id KEY_ID, if listed."""
        return next((key for key in self.keys if key.id == key_id), None)
