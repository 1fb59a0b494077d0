"""Scripted faults and the control routes another process uses to drive the simulator."""

from __future__ import annotations

import time

import httpx
import pytest

from venice_simulator import Simulator
from venice_simulator.server import start_in_thread

ADMIN = {"Authorization": "Bearer sim-admin"}


def test_rate_limit_with_retry_after_then_success(sim_http, pinned_sim):
    pinned_sim.simulator.faults.fail_next(429, times=2, retry_after=1.5)
    first = sim_http.get("/billing/balance", headers=ADMIN)
    assert first.status_code == 429
    assert first.json() == {"error": "Rate limit exceeded"}
    assert first.headers["Retry-After"] == "1.5"
    assert sim_http.get("/billing/usage-analytics", headers=ADMIN).status_code == 429
    assert sim_http.get("/billing/balance", headers=ADMIN).status_code == 200
    assert [c.status for c in pinned_sim.simulator.calls] == [429, 429, 200]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (500, "Inference processing failed"),
        (504, "Query timed out - try reducing the lookback period"),
    ],
)
def test_server_failures_have_venices_bodies(sim_http, pinned_sim, conforms, status, message):
    pinned_sim.simulator.faults.fail_next(status)
    response = sim_http.get("/billing/usage-analytics", headers=ADMIN)
    assert response.status_code == status
    assert response.json() == {"error": message}
    assert "Retry-After" not in response.headers


def test_a_custom_body_even_on_200(sim_http, pinned_sim):
    pinned_sim.simulator.faults.fail_next(200, body={"surprise": True})
    assert sim_http.get("/billing/balance", headers=ADMIN).json() == {"surprise": True}


def test_latency_delays_every_answer(sim_http, pinned_sim):
    pinned_sim.simulator.faults.latency = 0.3
    started = time.monotonic()
    assert sim_http.get("/billing/balance", headers=ADMIN).status_code == 200
    assert time.monotonic() - started >= 0.3
    pinned_sim.simulator.faults.clear()
    started = time.monotonic()
    sim_http.get("/billing/balance", headers=ADMIN)
    assert time.monotonic() - started < 0.3


def test_control_routes_drive_faults_and_calls_over_http(sim_http, pinned_sim):
    root = pinned_sim.base_url.removesuffix("/api/v1")
    with httpx.Client(base_url=root) as control:
        state = control.post(
            "/_sim/faults",
            json={
                "latency": 0.2,
                "fail": [{"status": 429, "times": 1, "retry_after": 1}],
            },
        )
        assert state.json() == {"latency": 0.2, "pending": 1}
        started = time.monotonic()
        limited = sim_http.get("/billing/balance", headers=ADMIN)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "1"
        assert time.monotonic() - started >= 0.2
        assert control.delete("/_sim/faults").json() == {"latency": 0.0, "pending": 0}
        assert sim_http.get("/billing/balance", headers=ADMIN).status_code == 200
        calls = control.get("/_sim/calls").json()
        assert [(c["path"], c["status"], c["key_kind"]) for c in calls] == [
            ("/billing/balance", 429, "admin"),
            ("/billing/balance", 200, "admin"),
        ]
        assert control.delete("/_sim/calls").json() == []
        assert pinned_sim.simulator.calls == []
        assert control.post("/_sim/faults", json={"fail": "x"}).status_code == 400
        assert control.post("/_sim/faults", content=b"not json").status_code == 400


def test_clock_can_be_pinned_over_http():
    with start_in_thread(Simulator()) as running, httpx.Client() as client:
        root = running.base_url.removesuffix("/api/v1")
        pinned = client.post(f"{root}/_sim/clock", json={"now": "2026-11-22T14:03:00Z"})
        assert pinned.json() == {"now": "2026-11-22T14:03:00+00:00"}
        usage = client.get(f"{running.base_url}/billing/usage-analytics", headers=ADMIN)
        assert usage.json()["byDate"][0]["date"] == "2026-11-22T00:00:00.000Z"
        assert client.delete(f"{root}/_sim/clock").status_code == 200


def test_server_stops_cleanly_and_frees_its_port():
    running = start_in_thread()
    with httpx.Client() as client:
        assert client.get(f"{running.base_url}/billing/balance").status_code == 402
    running.stop()
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"{running.base_url}/billing/balance")
    running.stop()  # twice is harmless
