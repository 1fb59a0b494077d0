"""Fixed-data builders of Venice answers and contexts for command tests (amounts as strings)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bot.cards import Card
from bot.command_spec import CommandContext
from bot.deadline import Deadline
from bot.registry import COMMANDS
from bot.venice.models import Balance, UsageAnalytics
from bot.venice.static_source import StaticBillingSource

NOW = datetime(2026, 11, 22, 14, 3, tzinfo=UTC)
TODAY = NOW.date()
FETCHED_AT = datetime(2026, 11, 22, 14, 1, 30, tzinfo=UTC)


def balance(
    *,
    diem: str | None = "37.5",
    usd: str | None = "56.78",
    allocation: str | None = "100",
    can_consume: bool | None = True,
    currency: str | None = "DIEM",
    **extra_balances: str | None,
) -> Balance:
    """A `/billing/balance` answer; extra keyword balances (bundledCredits=...) are added raw."""
    return Balance.model_validate(
        {
            "canConsume": can_consume,
            "consumptionCurrency": currency,
            "balances": {"diem": diem, "usd": usd, **extra_balances},
            "diemEpochAllocation": allocation,
        }
    )


def day(when: date | str, usd: str = "0", diem: str = "0") -> dict[str, Any]:
    return {"date": str(when), "USD": usd, "DIEM": diem}


def model(
    name: str,
    usd: str = "0",
    diem: str = "0",
    units: str = "0",
    *,
    unit_type: str | None = "tokens",
    model_type: str | None = "LLM",
    breakdown: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "modelName": name,
        "unitType": unit_type,
        "modelType": model_type,
        "totalUsd": usd,
        "totalDiem": diem,
        "totalUnits": units,
    }
    if breakdown is not None:
        row["breakdown"] = breakdown
    return row


def part(kind: str, usd: str = "0", diem: str = "0", units: str = "0") -> dict[str, Any]:
    return {"type": kind, "usd": usd, "diem": diem, "units": units}


def key(
    key_id: str | None, description: str | None, usd: str = "0", diem: str = "0", units: str = "0"
) -> dict[str, Any]:
    return {
        "apiKeyId": key_id,
        "description": description,
        "totalUsd": usd,
        "totalDiem": diem,
        "totalUnits": units,
    }


def usage(
    days: list[dict[str, Any]] | None = None,
    models: list[dict[str, Any]] | None = None,
    keys: list[dict[str, Any]] | None = None,
    lookback: str | None = "7d",
) -> UsageAnalytics:
    """A `/billing/usage-analytics` answer."""
    return UsageAnalytics.model_validate(
        {"lookback": lookback, "byDate": days or [], "byModel": models or [], "byKey": keys or []}
    )


def week(usd: list[str], diem: list[str], end: date = TODAY) -> list[dict[str, Any]]:
    """Daily rows ending on END, oldest first."""
    count = len(usd)
    return [day(end - timedelta(days=count - 1 - i), usd[i], diem[i]) for i in range(count)]


def context(source: StaticBillingSource | None, now: datetime = NOW) -> CommandContext:
    return CommandContext(commands=COMMANDS, now=now, deadline=Deadline.after(10), source=source)


def source(
    *, balance_answer: Any = None, usage_answer: Any = None, usage_for: Any = None
) -> StaticBillingSource:
    """A StaticBillingSource fetched at FETCHED_AT; an answer may be a VeniceError to raise."""
    return StaticBillingSource(
        fetched_at=FETCHED_AT,
        balance_answer=balance_answer,
        usage_answer=usage_answer,
        usage_for=usage_for if usage_for is not None else {},
    )


def card_strings(card: Card) -> list[str]:
    """Every human-readable string in a card (not `data`), to check what people would see."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif is_dataclass(value) and not isinstance(value, type):
            for f in fields(value):
                if f.name != "data":
                    walk(getattr(value, f.name))

    walk(card)
    return found


def field_value(card: Card, label: str) -> str:
    """The value of the field whose label starts with LABEL."""
    matches = [f.value for f in card.fields if f.label.startswith(label)]
    assert matches, f"no field {label!r} in {[f.label for f in card.fields]}"
    return matches[0]


def has_field(card: Card, label: str) -> bool:
    return any(f.label.startswith(label) for f in card.fields)


DOLLAR_DIEM = r"\$\s*[<\d.,-]*\s*DIEM"
D = Decimal
