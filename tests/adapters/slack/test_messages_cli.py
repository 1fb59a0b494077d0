"""`venice-bot ask --format slack` as a user runs it: a real process against the simulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.adapters.cli.test_main import assert_no_traceback, run_cli
from tests.adapters.slack.test_render_limits import assert_within_limits
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread


@pytest.fixture(scope="module")
def venice() -> Iterator[RunningSimulator]:
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


def test_ask_in_slack_format_prints_the_message_as_posted(venice: RunningSimulator):
    result = run_cli(
        "ask", "top-keys 30d 3", "--format", "slack", key="sim-admin-team", base=venice.base_url
    )
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    message = json.loads(result.stdout)
    assert set(message) == {"text", "blocks"}
    assert_within_limits(message)
    assert message["text"].startswith("Venice top API keys · last 30 days")
    assert message["blocks"][0]["type"] == "header"
    controls = message["blocks"][-1]
    assert controls["block_id"] == "venice_controls"
    values = [element["value"] for element in controls["elements"]]
    assert values == ["top-keys 7d 3", "top-keys 30d 3", "top-keys 90d 3", "top-keys 30d 3"]


def test_ask_in_slack_format_for_invalid_text_exits_2_with_an_error_message(
    venice: RunningSimulator,
):
    result = run_cli("ask", "usage 99d", "--format", "slack", base=venice.base_url)
    assert result.returncode == 2
    message = json.loads(result.stdout)
    assert message["blocks"][0]["text"]["text"].startswith(":warning:")
    assert "venice_controls" not in result.stdout
