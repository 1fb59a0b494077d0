"""`venice-bot` as a user runs it: a real process, real HTTP, the simulator as Venice."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    # Time stands still in this Venice, so today's usage cannot grow between two requests.
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


def run_cli(
    *args: str,
    key: str | None = "sim-admin",
    base: str | None = None,
    stdin: str | None = None,
    timeout: float = 30,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "LOG_"))}
    env |= extra_env or {}
    if key is not None:
        env["VENICE_API_KEY"] = key
    if base is not None:
        env["VENICE_API_BASE"] = base
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def raw_usage(base_url: str, params: dict[str, str]) -> dict[str, object]:
    response = httpx.get(
        f"{base_url}/billing/usage-analytics",
        params=params,
        headers={"Authorization": "Bearer sim-admin"},
    )
    response.raise_for_status()
    body: dict[str, object] = json.loads(response.text, parse_float=Decimal)
    return body


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr


def test_ask_usage_totals_are_exact_sums_of_what_venice_returned(simulator: RunningSimulator):
    result = run_cli("ask", "usage 30d", "--format", "json", base=simulator.base_url)
    assert result.returncode == 0, result.stderr
    card = json.loads(result.stdout)
    body = raw_usage(simulator.base_url, {"lookback": "30d"})
    rows = body["byDate"]
    assert isinstance(rows, list)
    usd = sum((Decimal(str(row["USD"])) for row in rows), Decimal(0))
    diem = sum((Decimal(str(row["DIEM"])) for row in rows), Decimal(0))
    assert Decimal(card["data"]["total"]["usd"]) == usd
    assert Decimal(card["data"]["total"]["diem"]) == diem


def test_ask_balance_in_text(simulator: RunningSimulator):
    result = run_cli("ask", "balance", base=simulator.base_url)
    assert result.returncode == 0, result.stderr
    assert "DIEM" in result.stdout
    assert "$" not in "".join(
        line for line in result.stdout.splitlines() if "DIEM" in line and "USD" not in line
    )
    assert_no_traceback(result)


def test_words_may_be_given_unquoted(simulator: RunningSimulator):
    result = run_cli("ask", "top-keys", "7d", "3", "--format", "json", base=simulator.base_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["title"]


def test_invalid_text_exits_2_before_calling_venice(simulator: RunningSimulator):
    simulator.simulator.calls.clear()
    result = run_cli("ask", "usage 99d", base=simulator.base_url)
    assert result.returncode == 2
    assert "90" in result.stderr
    assert simulator.simulator.calls == []
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("key", "expected"),
    [("sim-inference", "admin"), ("not-a-key", "key"), (None, "VENICE_API_KEY")],
)
def test_key_problems_exit_1_with_what_to_do(simulator: RunningSimulator, key, expected):
    result = run_cli("ask", "balance", key=key, base=simulator.base_url)
    assert result.returncode == 1
    assert expected.lower() in result.stderr.lower()
    assert_no_traceback(result)


def test_unreachable_venice_exits_1_without_traceback():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli("ask", "usage 7d", base=f"http://127.0.0.1:{port}/api/v1")
    assert result.returncode == 1
    assert "reach" in result.stderr.lower()
    assert_no_traceback(result)


def test_help_needs_no_key():
    result = run_cli("ask", "help", key=None)
    assert result.returncode == 0
    for command in ("balance", "usage", "top-keys", "top-models"):
        assert command in result.stdout


def test_demo_answers_typed_commands(tmp_path: Path):
    production = tmp_path / "production.db"
    result = run_cli(
        "demo",
        key=None,
        stdin="balance\nusage 30d\nstatus\nconnect sim-admin-pasted\nquit\n",
        timeout=60,
        extra_env={
            "XDG_STATE_HOME": str(tmp_path),
            "DATABASE_URL": f"sqlite+aiosqlite:///{production}",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "venice> balance" in result.stdout
    assert "venice> usage 30d" in result.stdout
    assert result.stdout.count("As of") >= 2
    # On the embedded defaults: a local keyring, its own database, the team key connected.
    keyring = tmp_path / "venice-bot" / "master-keys"
    assert f"created a local master key at {keyring}" in result.stderr
    assert (tmp_path / "venice-bot" / "demo.db").exists()
    assert not production.exists()
    assert "Fingerprint    …team" in result.stdout
    # A key typed after `connect` is refused, and the echoed line does not show it.
    assert "Do not paste keys into commands" in result.stdout
    assert "sim-admin-pasted" not in result.stdout + result.stderr
    assert_no_traceback(result)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("VENICE_API_BASE", "api.venice.ai", "VENICE_API_BASE: must be an http:// or https:// URL"),
        ("VENICE_BOT_REQUEST_BUDGET", "0", "VENICE_BOT_REQUEST_BUDGET"),
        ("VENICE_BOT_READ_TIMEOUT", "secret-looking-value", "VENICE_BOT_READ_TIMEOUT"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
    ],
)
def test_bad_configuration_is_named_without_echoing_the_value(
    variable: str, value: str, expected: str
):
    result = run_cli("ask", "balance", extra_env={variable: value})
    assert result.returncode == 1
    assert expected in result.stderr
    assert "secret-looking-value" not in result.stderr
    assert_no_traceback(result)


def test_simulate_on_a_busy_port_says_so(simulator: RunningSimulator):
    port = simulator.base_url.split(":")[2].split("/")[0]
    result = run_cli("simulate", "--port", port, timeout=15)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert_no_traceback(result)


def test_a_reader_that_leaves_early_is_not_an_error(simulator: RunningSimulator):
    """`venice-bot ask ... | head -1`: the pipe closes before the reply is written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "LOG_"))}
    env |= {"VENICE_API_KEY": "sim-admin", "VENICE_API_BASE": simulator.base_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "ask", "usage", "30d"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the bot writes a byte
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert b"Traceback" not in stderr
    assert b"something went wrong" not in stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_failure_keeps_its_exit_code_when_the_reader_leaves(
    simulator: RunningSimulator, fmt: str
):
    """`VENICE_API_KEY=bogus venice-bot ask balance 2>&1 | head -0`: still exit 1, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "LOG_"))}
    env |= {"VENICE_API_KEY": "bogus", "VENICE_API_BASE": simulator.base_url}
    reader, writer = os.pipe()
    os.close(reader)  # whoever reads both streams is gone before the bot writes a byte
    process = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "ask", "balance", "--format", fmt],
        cwd=ROOT,
        env=env,
        stdout=writer,
        stderr=writer,
        timeout=30,
        check=False,
    )
    os.close(writer)
    assert process.returncode == 1
