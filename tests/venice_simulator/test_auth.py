"""The simulator tells keys apart as Venice does, retires /billing/usage, and records calls."""

from __future__ import annotations

import pytest

BILLING = ["/billing/balance", "/billing/usage-analytics", "/billing/usage-history"]


@pytest.mark.parametrize("route", BILLING)
def test_no_authorization_header_asks_for_an_x402_payment(sim_http, route):
    response = sim_http.get(route)
    assert response.status_code == 402
    body = response.json()
    assert body["x402Version"] == 1
    assert body["error"] == "Payment required"
    assert body["accepts"]
    assert body["accepts"][0]["network"] == "base"


@pytest.mark.parametrize("route", BILLING)
def test_inference_key_is_told_an_admin_key_is_required(sim_http, conforms, route):
    response = sim_http.get(route, headers={"Authorization": "Bearer sim-inference-123"})
    assert response.status_code == 401
    assert response.json() == {"error": "Admin API key required"}


@pytest.mark.parametrize(
    "authorization", ["Bearer VENICE_ADMIN_KEY_nope", "Bearer", "Basic sim-admin"]
)
def test_unknown_key_fails_authentication(sim_http, conforms, authorization):
    response = sim_http.get("/billing/balance", headers={"Authorization": authorization})
    assert response.status_code == 401
    conforms("/billing/balance", 401, response.json())
    assert response.json() == {"error": "Authentication failed"}


@pytest.mark.parametrize("route", BILLING)
def test_admin_key_is_answered(sim_http, route):
    response = sim_http.get(route, headers={"Authorization": "Bearer sim-admin-team"})
    assert response.status_code == 200


def test_calls_record_the_kind_of_key_never_the_key(sim_http, pinned_sim):
    keys = ["sim-admin-secret-1", "sim-inference-secret-2", "wrong-secret-3", None]
    for key in keys:
        headers = {"User-Agent": "probe/1"} | ({"Authorization": f"Bearer {key}"} if key else {})
        sim_http.get("/billing/balance", params={"x": "1"}, headers=headers)
    calls = pinned_sim.simulator.calls
    assert [(c.key_kind, c.status) for c in calls] == [
        ("admin", 200),
        ("inference", 401),
        ("unknown", 401),
        ("none", 402),
    ]
    assert all(c.path == "/billing/balance" and c.method == "GET" for c in calls)
    assert all(c.query == {"x": "1"} and c.user_agent == "probe/1" for c in calls)
    assert "secret" not in repr(calls)


def test_retired_usage_route_answers_410_with_its_successor(sim_http):
    response = sim_http.get("/billing/usage", headers={"Authorization": "Bearer sim-admin"})
    assert response.status_code == 410
    assert "usage-history" in response.json()["error"]
    assert response.headers["Sunset"].endswith("GMT")
    assert response.headers["Deprecation"].startswith("@")
    assert 'rel="successor-version"' in response.headers["Link"]
    assert "/billing/usage-history" in response.headers["Link"]


def test_unknown_route_is_404_and_wrong_method_405(sim_http):
    admin = {"Authorization": "Bearer sim-admin"}
    assert sim_http.get("/billing/nothing", headers=admin).status_code == 404
    assert sim_http.post("/billing/balance", headers=admin).status_code == 405
