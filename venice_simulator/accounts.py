"""Which account a key opens, what kind of key it is, and the account's balance right now."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from venice_simulator.catalog import DRAINING, EMPTY, SOLO, TEAM, AccountProfile
from venice_simulator.jsontext import money
from venice_simulator.ledger import charges_until, day_charges

KeyKind = Literal["admin", "inference", "unknown", "none"]

TEAM_KEY = "sim-admin-team"
USD_KEY = "sim-admin-usd"
EMPTY_KEY = "sim-admin-empty"
DRAINING_KEY = "sim-admin-draining"
INFERENCE_KEY = "sim-inference"
EXAMPLE_KEYS = {
    "team": TEAM_KEY,
    "usd": USD_KEY,
    "empty": EMPTY_KEY,
    "draining": DRAINING_KEY,
    "inference": INFERENCE_KEY,
}
MIN_FUNDS = Decimal("0.10")  # canConsume needs at least $0.10 of funds


def bearer_key(authorization: str | None) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; "" when the header is not Bearer."""
    if authorization is None:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def key_kind(key: str | None) -> KeyKind:
    """admin, inference, unknown (Venice would answer 401) or none (no header: 402)."""
    if key is None:
        return "none"
    if key.startswith("sim-admin"):
        return "admin"
    if key.startswith("sim-inference"):
        return "inference"
    return "unknown"


def account_for(admin_key: str) -> AccountProfile:
    """`sim-admin-usd...` is USD-only, `sim-admin-empty...` has no usage, `sim-admin-draining...`
    spends all day long, others the team."""
    if admin_key.startswith(USD_KEY):
        return SOLO
    if admin_key.startswith(EMPTY_KEY):
        return EMPTY
    if admin_key.startswith(DRAINING_KEY):
        return DRAINING
    return TEAM


def opening_usd(seed: int, profile: AccountProfile, now: datetime) -> Decimal:
    """The USD balance at 00:00 UTC today, before today's spending."""
    if profile.usd_floor is None:
        return profile.usd_base
    # Topped up at midnight to what the whole day will spend, plus the floor.
    whole_day = day_charges(seed, profile, now.date())
    return profile.usd_floor + money(sum(c.usd for c in whole_day))


def balance(seed: int, profile: AccountProfile, now: datetime) -> dict[str, Any]:
    """`GET /billing/balance`: today's DIEM left of the allocation and the USD balance."""
    today = charges_until(seed, profile, now.date(), now)
    allocation = profile.diem_allocation
    diem = allocation - money(sum(c.diem for c in today)) if allocation > 0 else None
    usd_left = opening_usd(seed, profile, now) - money(sum(c.usd for c in today))
    usd = usd_left if usd_left > 0 else None
    currency: str | None = None
    if diem is not None and diem > 0:
        currency = "DIEM"
    elif usd is not None:
        currency = "USD"
    funds = (diem or Decimal(0)) + (usd or Decimal(0))
    return {
        "canConsume": funds >= MIN_FUNDS,
        "consumptionCurrency": currency,
        "balances": {"diem": diem, "usd": usd},
        "diemEpochAllocation": allocation,
    }
