"""Fixtures of the Slack tests: the fake Slack Web API, the Venice simulator, the served bot."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import ServedBot, bot_settings
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A fresh fake Slack Web API on 127.0.0.1 (SLACK_API_URL = `fake_slack.api_url`)."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    """The Venice simulator with its clock frozen, so two answers of a test agree."""
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


@pytest.fixture
def sim(simulator: RunningSimulator) -> Iterator[RunningSimulator]:
    """The simulator with no faults left over from another test."""
    simulator.simulator.faults.clear()
    yield simulator
    simulator.simulator.faults.clear()


@pytest.fixture
def served(tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack) -> Iterator[ServedBot]:
    """`venice-bot serve` (single workspace) on a free port, against the fake and the simulator."""
    bot = ServedBot(bot_settings(tmp_path, sim.base_url, fake_slack), fake_slack).start()
    try:
        yield bot
    finally:
        bot.stop()


def set_latency(simulator: RunningSimulator, seconds: float) -> None:
    """Slow every Venice answer down, through the simulator's own control route."""
    root = simulator.base_url.removesuffix("/api/v1")
    httpx.post(f"{root}/_sim/faults", json={"latency": seconds}).raise_for_status()
