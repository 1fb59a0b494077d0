"""`GET /api_keys` of the simulated accounts: Venice's shape, its auth errors and faults, amounts
as strings, and the same keys and amounts as usage-analytics reports for them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.venice_simulator.conftest import PINNED_NOW

TEAM = {"Authorization": "Bearer sim-admin-team"}
FIELDS = {
    "id",
    "apiKeyType",
    "description",
    "createdAt",
    "expiresAt",
    "lastUsedAt",
    "last6Chars",
    "consumptionLimits",
    "limitPeriod",
    "usage",
}


def keys_of(client, key="sim-admin-team"):
    response = client.get("/api_keys", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    body = response.json()  # floats would show here: every amount must be a string
    assert body["object"] == "list"
    return body["data"]


def analytics(client, key="sim-admin-team", **params):
    response = client.get(
        "/billing/usage-analytics", params=params, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200
    return response.json(parse_float=Decimal)


def by_description(rows):
    return {row["description"]: row for row in rows}


def amount(text):
    assert isinstance(text, str), f"{text!r} is not a string amount"
    return Decimal(text)


@pytest.mark.parametrize(
    "key", ["sim-admin-team", "sim-admin-usd", "sim-admin-empty", "sim-admin-draining"]
)
def test_every_key_has_venices_fields_with_amounts_as_strings(sim_http, key):
    rows = keys_of(sim_http, key)
    assert rows, "every account has at least the key it was opened with"
    for row in rows:
        assert set(row) >= FIELDS
        assert row["apiKeyType"] in ("ADMIN", "INFERENCE")
        assert row["limitPeriod"] in ("EPOCH", "MONTH", "LIFETIME")
        assert len(row["last6Chars"]) == 6
        assert datetime.fromisoformat(row["createdAt"]) <= PINNED_NOW
        for stamp in ("expiresAt", "lastUsedAt"):
            assert row[stamp] is None or datetime.fromisoformat(row[stamp])
        assert set(row["consumptionLimits"]) == {"usd", "diem"}
        for limit in row["consumptionLimits"].values():
            assert limit is None or amount(limit) >= 0
        trailing = row["usage"]["trailingSevenDays"]
        assert amount(trailing["usd"]) >= 0
        assert amount(trailing["diem"]) >= 0
    assert any(row["apiKeyType"] == "ADMIN" for row in rows)


def test_current_period_usage_is_only_on_keys_with_a_limit(sim_http):
    rows = keys_of(sim_http)
    limited = [r for r in rows if any(v is not None for v in r["consumptionLimits"].values())]
    unlimited = [r for r in rows if r not in limited]
    assert limited
    assert unlimited
    for row in limited:
        assert amount(row["currentPeriodUsage"]["usd"]) >= 0
        assert amount(row["currentPeriodUsage"]["diem"]) >= 0
    assert all("currentPeriodUsage" not in row for row in unlimited)


def test_the_team_has_the_keys_the_demo_needs(sim_http):
    keys = by_description(keys_of(sim_http))
    assert {row["limitPeriod"] for row in keys.values() if "currentPeriodUsage" in row} == {
        "EPOCH",
        "MONTH",
        "LIFETIME",
    }
    assert {row["apiKeyType"] for row in keys.values()} == {"ADMIN", "INFERENCE"}
    # The support bot sits just under its lifetime DIEM cap.
    support = keys["Support bot"]
    share = amount(support["currentPeriodUsage"]["diem"]) / amount(
        support["consumptionLimits"]["diem"]
    )
    assert Decimal("0.90") <= share <= Decimal("0.96")
    # The interns' sandbox may not spend USD at all.
    assert keys["Intern sandbox"]["consumptionLimits"] == {"usd": "0", "diem": "5"}
    assert keys["Intern sandbox"]["lastUsedAt"] is None
    assert keys["Data pipeline"]["consumptionLimits"] == {"usd": None, "diem": None}
    assert keys["Data pipeline"]["apiKeyType"] == "ADMIN"


def test_keys_are_the_ones_by_key_reports_with_the_same_seven_days(sim_http):
    rows = keys_of(sim_http)
    week = analytics(sim_http, lookback="7d")["byKey"]
    listed = {row["id"]: row for row in rows}
    reported = [row for row in week if row["apiKeyId"] is not None]  # the Web App is no key
    assert reported
    for row in reported:
        key = listed[row["apiKeyId"]]
        trailing = key["usage"]["trailingSevenDays"]
        assert amount(trailing["usd"]) == row["totalUsd"]
        assert amount(trailing["diem"]) == row["totalDiem"]
        if key["description"]:
            assert key["description"] == row["description"]
        else:  # byKey names a key without a description after its id
            assert row["description"] == f"Key ...{key['id'][-6:]}"
    # A listed key that byKey leaves out spent nothing this week.
    quiet = set(listed) - {row["apiKeyId"] for row in reported}
    for key_id in quiet:
        assert listed[key_id]["usage"]["trailingSevenDays"] == {"usd": "0", "diem": "0"}


def test_current_period_usage_is_the_ledgers_for_each_period(sim_http):
    keys = by_description(keys_of(sim_http))
    today = analytics(sim_http, lookback="1d")["byKey"]
    month = analytics(sim_http, startDate="2026-11-01", endDate="2026-11-22")["byKey"]

    def totals(rows, description):
        row = next(r for r in rows if r["description"] == description)
        return {"usd": row["totalUsd"], "diem": row["totalDiem"]}

    staging = keys["Staging"]  # EPOCH: today so far
    assert staging["limitPeriod"] == "EPOCH"
    current = {k: amount(v) for k, v in staging["currentPeriodUsage"].items()}
    assert current == totals(today, "Staging")
    production = keys["Production API"]  # MONTH: since the 1st
    assert production["limitPeriod"] == "MONTH"
    current = {k: amount(v) for k, v in production["currentPeriodUsage"].items()}
    assert current == totals(month, "Production API")
    # LIFETIME: at least the last 90 days Venice reports.
    support = keys["Support bot"]
    quarter = totals(analytics(sim_http, lookback="90d")["byKey"], "Support bot")
    assert amount(support["currentPeriodUsage"]["diem"]) >= quarter["diem"] > 0


def test_last_used_is_before_now_and_within_today_for_a_busy_key(sim_http):
    keys = by_description(keys_of(sim_http))
    used = datetime.fromisoformat(keys["Production API"]["lastUsedAt"])
    assert used <= PINNED_NOW
    assert used.date() == PINNED_NOW.date()


def test_answer_does_not_change_between_calls_at_the_same_instant(sim_http):
    assert keys_of(sim_http) == keys_of(sim_http)


@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({"Authorization": "Bearer sim-inference-1"}, 401, {"error": "Admin API key required"}),
        ({"Authorization": "Bearer nope"}, 401, {"error": "Authentication failed"}),
    ],
)
def test_only_an_admin_key_may_list_keys(sim_http, headers, status, body):
    response = sim_http.get("/api_keys", headers=headers)
    assert response.status_code == status
    assert response.json() == body


def test_no_key_asks_for_payment(sim_http):
    response = sim_http.get("/api_keys")
    assert response.status_code == 402
    assert response.json()["x402Version"] == 1


def test_faults_reach_api_keys_too(sim_http, pinned_sim):
    pinned_sim.simulator.faults.fail_next(503)
    assert sim_http.get("/api_keys", headers=TEAM).status_code == 503
    assert sim_http.get("/api_keys", headers=TEAM).status_code == 200
    assert [c.path for c in pinned_sim.simulator.calls] == ["/api_keys", "/api_keys"]
