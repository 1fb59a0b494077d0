"""`GET /billing/usage-analytics` bodies: exact sums of the ledger by day, model and key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from venice_simulator.catalog import AccountProfile, ModelSpec
from venice_simulator.jsontext import money
from venice_simulator.ledger import Charge, charges_until, day_charges, day_start_ms, key_label
from venice_simulator.periods import AnalyticsPeriod

TOP_SERIES = 8
K = TypeVar("K")


@dataclass(slots=True)
class Tally:
    """Exact running totals: micro-dollars of each currency and units."""

    usd: int = 0
    diem: int = 0
    units: Decimal = field(default_factory=Decimal)

    def add(self, usd: int, diem: int, units: Decimal) -> None:
        self.usd += usd
        self.diem += diem
        self.units += units

    @property
    def spend(self) -> int:
        return self.usd + self.diem


@dataclass(slots=True)
class DayTotals:
    """One day's usage summed by model, by model and token type, and by key."""

    total: Tally = field(default_factory=Tally)
    models: dict[ModelSpec, Tally] = field(default_factory=dict)
    token_types: dict[tuple[ModelSpec, str], Tally] = field(default_factory=dict)
    keys: dict[tuple[str | None, str], Tally] = field(default_factory=dict)

    def merge(self, other: DayTotals) -> None:
        """Add another day's totals into this one."""
        self.total.add(other.total.usd, other.total.diem, other.total.units)
        _merge(self.models, other.models)
        _merge(self.token_types, other.token_types)
        _merge(self.keys, other.keys)


def _merge(target: dict[K, Tally], source: dict[K, Tally]) -> None:
    for name, t in source.items():
        target.setdefault(name, Tally()).add(t.usd, t.diem, t.units)


def tally(seed: int, charges: Iterable[Charge]) -> DayTotals:
    """Sum charges by day total, model, model and token type, and key."""
    totals = DayTotals()
    for c in charges:
        totals.total.add(c.usd, c.diem, c.units)
        totals.models.setdefault(c.model, Tally()).add(c.usd, c.diem, c.units)
        totals.token_types.setdefault((c.model, c.token_type), Tally()).add(c.usd, c.diem, c.units)
        key = (c.key_id, key_label(seed, c.key))
        totals.keys.setdefault(key, Tally()).add(c.usd, c.diem, c.units)
    return totals


@lru_cache(maxsize=1024)
def _whole_day(seed: int, profile: AccountProfile, day: date) -> DayTotals:
    return tally(seed, day_charges(seed, profile, day))


def day_totals(seed: int, profile: AccountProfile, day: date, now: datetime) -> DayTotals:
    """Totals of one day as seen at `now` (today only up to now)."""
    if day < now.date() and charges_until(seed, profile, day, now):
        return _whole_day(seed, profile, day)
    return tally(seed, charges_until(seed, profile, day, now))


def _by_spend(items: Iterable[tuple[Any, Tally]], name: Any) -> list[tuple[Any, Tally]]:
    return sorted(items, key=lambda item: (-item[1].spend, name(item[0])))


def _model_row(model: ModelSpec, t: Tally, period: DayTotals) -> dict[str, Any]:
    row: dict[str, Any] = {
        "modelName": model.name,
        "unitType": model.unit_type,
        "modelType": model.model_type,
        "totalUsd": money(t.usd),
        "totalDiem": money(t.diem),
        "totalUnits": t.units,
    }
    kinds = [(kind, tt) for (m, kind), tt in period.token_types.items() if m == model]
    if len(kinds) > 1:  # the spec: a breakdown only when there is more than one token type
        row["breakdown"] = [
            {"type": kind, "usd": money(tt.usd), "diem": money(tt.diem), "units": tt.units}
            for kind, tt in _by_spend(kinds, str)
        ]
    return row


def _by_date(profile: AccountProfile, days: list[tuple[date, DayTotals]]) -> list[dict[str, Any]]:
    if profile.newest_first:
        return [
            {
                "date": f"{day.isoformat()}T00:00:00.000Z",
                "USD": money(t.total.usd),
                "DIEM": money(t.total.diem),
            }
            for day, t in reversed(days)
            if t.total.spend
        ]
    return [
        {"date": day.isoformat(), "USD": money(t.total.usd), "DIEM": money(t.total.diem)}
        for day, t in days
    ]


def _daily(
    days: list[tuple[date, DayTotals]], top: list[Any], attr: str, name: Any, currency: str
) -> list[Any]:
    """One row per day of the top names' spend in CURRENCY, as Venice's docs define the daily
    series: `byModelDaily` and `byKeyDaily` in DIEM, their `...Usd` siblings in USD."""
    rows: list[dict[str, Any]] = []
    for day, totals in days:
        row: dict[str, Any] = {"date": day_start_ms(day)}
        per_day: dict[Any, Tally] = getattr(totals, attr)
        for item in top:
            tally_of_day = per_day.get(item)
            amount = 0 if tally_of_day is None else getattr(tally_of_day, currency)
            row[name(item)] = money(amount)
        rows.append(row)
    return rows


def _model_name(model: ModelSpec) -> str:
    return model.name


def _key_name(key: tuple[str | None, str]) -> str:
    return key[1]


def usage_analytics(
    seed: int, profile: AccountProfile, period: AnalyticsPeriod, now: datetime
) -> dict[str, Any]:
    """The usage-analytics body of `profile` for `period`, as seen at `now`."""
    days = [(day, day_totals(seed, profile, day, now)) for day in period.days()]
    whole = DayTotals()
    for _, totals in days:
        whole.merge(totals)
    models = _by_spend(whole.models.items(), lambda m: m.name)
    keys = _by_spend(whole.keys.items(), lambda k: k[1])
    top_models = [model for model, _ in models[:TOP_SERIES]]
    top_keys = [key for key, _ in keys[:TOP_SERIES]]
    used = whole.total.spend > 0

    def daily(top: list[Any], attr: str, name: Any, currency: str) -> list[Any]:
        return _daily(days, top, attr, name, currency) if used else []

    return {
        "lookback": period.echo,
        "byDate": _by_date(profile, days),
        "byModel": [_model_row(model, t, whole) for model, t in models],
        "byModelDaily": daily(top_models, "models", _model_name, "diem"),
        # Not in the OpenAPI file, but sent by the live API (NOTES.md): USD per day.
        "byModelDailyUsd": daily(top_models, "models", _model_name, "usd"),
        "topModels": [model.name for model in top_models],
        "byKey": [
            {
                "apiKeyId": key_id,
                "description": label,
                "totalUsd": money(t.usd),
                "totalDiem": money(t.diem),
                "totalUnits": t.units,
            }
            for (key_id, label), t in keys
        ],
        "byKeyDaily": daily(top_keys, "keys", _key_name, "diem"),
        "byKeyDailyUsd": daily(top_keys, "keys", _key_name, "usd"),
        "topKeyNames": [label for _, label in top_keys],
    }
