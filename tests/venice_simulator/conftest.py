"""Shared fixtures for the simulator tests: a served simulator with a pinned clock, a client,
and validators for Venice's published response schemas (copied to tests/fixtures/openapi)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"
PINNED_NOW = datetime(2026, 11, 22, 14, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def pinned_sim() -> Iterator[RunningSimulator]:
    """One served simulator per test module, its clock pinned to 2026-11-22 14:03 UTC."""
    with start_in_thread(Simulator(seed=7, clock=lambda: PINNED_NOW)) as running:
        yield running


@pytest.fixture
def sim_http(pinned_sim: RunningSimulator) -> Iterator[httpx.Client]:
    """A client of the pinned simulator, which starts each test with no faults and no calls."""
    pinned_sim.simulator.faults.clear()
    pinned_sim.simulator.calls.clear()
    with httpx.Client(base_url=pinned_sim.base_url, timeout=10) as client:
        yield client


def _allow_null_enums(schema: Any) -> None:
    # OAS 3.0.3: `nullable: true` does not add null to an `enum`, which must list it itself.
    # The balance spec forgets to, yet documents (and Venice sends) a null consumptionCurrency.
    if isinstance(schema, dict):
        if schema.get("nullable") and "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        for value in schema.values():
            _allow_null_enums(value)


def _operation_schemas(name: str, route: str) -> dict[str, Any]:
    spec = yaml.safe_load((SPECS / name).read_text())
    responses = spec["paths"][route]["get"]["responses"]
    schemas: dict[str, Any] = {}
    for status, response in responses.items():
        schema = response["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        _allow_null_enums(schema)
        schemas[status] = schema
    return schemas


@pytest.fixture(scope="session")
def spec_schemas() -> dict[str, dict[str, Any]]:
    """Response schemas by route, then by status ("200", "400", ...)."""
    return {
        "/billing/balance": _operation_schemas("billing-balance.openapi.yaml", "/billing/balance"),
        "/billing/usage-analytics": _operation_schemas(
            "billing-usage-analytics.openapi.yaml", "/billing/usage-analytics"
        ),
    }


@pytest.fixture(scope="session")
def conforms(spec_schemas) -> Callable[[str, int, Any], None]:
    """Assert that a body is what the spec allows for that route and status."""

    def check(route: str, status: int, body: Any) -> None:
        OAS30Validator(spec_schemas[route][str(status)]).validate(body)

    return check
