"""Fixtures of the Venice client's tests: a served simulator with a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

PINNED_NOW = datetime(2026, 11, 22, 14, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def pinned_sim() -> Iterator[RunningSimulator]:
    """One served simulator per test module, its clock pinned to 2026-11-22 14:03 UTC."""
    with start_in_thread(Simulator(seed=7, clock=lambda: PINNED_NOW)) as running:
        yield running
