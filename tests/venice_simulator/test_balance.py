"""Balances of the three simulated accounts: spec-valid and consistent with today's usage."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from venice_simulator import Simulator
from venice_simulator.server import start_in_thread


def get(client, route, key, **params):
    response = client.get(route, params=params, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json(parse_float=Decimal)


@pytest.mark.parametrize("key", ["sim-admin-team", "sim-admin-usd", "sim-admin-empty"])
def test_balance_bodies_match_the_spec(sim_http, conforms, key):
    conforms("/billing/balance", 200, get(sim_http, "/billing/balance", key))


def test_team_balance_is_the_allocation_less_todays_diem_usage(sim_http):
    balance = get(sim_http, "/billing/balance", "sim-admin-team")
    usage = get(sim_http, "/billing/usage-analytics", "sim-admin-team", lookback="1d")
    today_diem = usage["byDate"][0]["DIEM"] if usage["byDate"] else Decimal(0)
    assert balance["diemEpochAllocation"] == 250
    assert balance["balances"]["diem"] == 250 - today_diem
    assert 0 < today_diem < 250  # mid-afternoon: some of the allocation is used, some left
    assert balance["consumptionCurrency"] == "DIEM"
    assert balance["balances"]["usd"] > 0
    assert balance["canConsume"] is True


def test_usd_only_account_has_no_diem():
    # A simulator of its own, with real time: the USD-only account is the same at any hour.
    with start_in_thread(Simulator()) as running, httpx.Client() as client:
        body = get(client, running.base_url + "/billing/balance", "sim-admin-usd-42")
    assert body["balances"]["diem"] is None
    assert body["diemEpochAllocation"] == 0
    assert body["consumptionCurrency"] == "USD"
    assert body["balances"]["usd"] > 0
    assert body["canConsume"] is True


def test_empty_account_cannot_consume(sim_http):
    assert get(sim_http, "/billing/balance", "sim-admin-empty") == {
        "canConsume": False,
        "consumptionCurrency": None,
        "balances": {"diem": None, "usd": None},
        "diemEpochAllocation": 0,
    }


def test_team_switches_to_usd_once_the_days_diem_is_spent(sim_http):
    # Find a past day whose usage spilled into USD: DIEM used that day is the whole allocation.
    usage = get(sim_http, "/billing/usage-analytics", "sim-admin-team", lookback="90d")
    spilled = [row for row in usage["byDate"] if row["USD"] > 0]
    assert spilled, "90 days of team usage should include days over the DIEM allocation"
    assert all(row["DIEM"] == 250 for row in spilled)
    calm = [row for row in usage["byDate"] if row["USD"] == 0]
    assert calm
    assert all(row["DIEM"] < 250 for row in calm)
