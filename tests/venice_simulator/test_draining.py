"""The draining account (`sim-admin-draining`): its USD falls all day with the clock and its DIEM
used rises, both by exactly what usage-analytics says today cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import httpx

from venice_simulator import DRAINING_KEY, Simulator
from venice_simulator.server import start_in_thread

HEADERS = {"Authorization": f"Bearer {DRAINING_KEY}"}
DAY = datetime(2026, 11, 22, tzinfo=UTC)


def at(client: httpx.Client, sim: Simulator, moment: datetime, route: str, **params: str):
    sim.clock = lambda: moment
    response = client.get(route, params=params, headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json(parse_float=Decimal)


def test_usd_falls_every_few_minutes_and_diem_used_rises_all_day():
    sim = Simulator(seed=7)
    with start_in_thread(sim) as running, httpx.Client(base_url=running.base_url) as client:
        moments = [DAY + timedelta(minutes=10 * i) for i in range(24 * 6)]
        balances = [at(client, sim, m, "/billing/balance")["balances"] for m in moments]
    usd = [b["usd"] for b in balances]
    diem = [b["diem"] for b in balances]
    assert all(later < earlier for earlier, later in pairwise(usd))
    assert all(later < earlier for earlier, later in pairwise(diem))
    # Every hour costs dollars (no quiet night): an alert set $1 under the balance fires
    # within minutes, at any hour.
    hourly = [usd[i] - usd[i + 6] for i in range(0, len(usd) - 6, 6)]
    assert min(hourly) > 5
    assert max(hourly) < 3 * min(hourly)
    assert usd[-1] > 5
    assert usd[0] - usd[-1] > 100


def test_balance_is_the_opening_less_what_analytics_says_today_cost():
    sim = Simulator(seed=7)
    with start_in_thread(sim) as running, httpx.Client(base_url=running.base_url) as client:
        morning = DAY + timedelta(hours=9)
        evening = DAY + timedelta(hours=21, minutes=30)
        first = at(client, sim, morning, "/billing/balance")
        second = at(client, sim, evening, "/billing/balance")
        spent_first = at(client, sim, morning, "/billing/usage-analytics", lookback="1d")
        spent_second = at(client, sim, evening, "/billing/usage-analytics", lookback="1d")
    usd_between = spent_second["byDate"][0]["USD"] - spent_first["byDate"][0]["USD"]
    assert first["balances"]["usd"] - second["balances"]["usd"] == usd_between
    assert first["diemEpochAllocation"] == 120
    assert second["balances"]["diem"] == 120 - spent_second["byDate"][0]["DIEM"]
    assert second["consumptionCurrency"] == "DIEM"
