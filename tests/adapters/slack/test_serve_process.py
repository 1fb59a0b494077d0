"""`venice-bot serve` as an operator runs it: a real process, clear sentences for missing
configuration, Slack requests over HTTP, a clean exit on SIGTERM, and no secret in its logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier

from tests.adapters.serve_process import ROOT, base_env
from tests.adapters.slack.conftest import set_latency
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    admin_key,
    bot_settings,
    message_text,
    seed_key,
)
from tests.services import free_port
from venice_simulator.server import RunningSimulator


def run_serve(env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_nothing_configured_exits_1_naming_the_variables(tmp_path: Path):
    result = run_serve(base_env(tmp_path))
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN" in result.stderr
    assert "SLACK_CLIENT_ID" in result.stderr
    assert "DISCORD_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_http_mode_without_signing_secret_exits_1(tmp_path: Path):
    result = run_serve(base_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN))
    assert result.returncode == 1
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert BOT_TOKEN not in result.stderr
    assert "Traceback" not in result.stderr


def test_client_id_without_client_secret_exits_1(tmp_path: Path):
    env = base_env(tmp_path, SLACK_CLIENT_ID="1111.2222", SLACK_SIGNING_SECRET=SIGNING_SECRET)
    result = run_serve(env)
    assert result.returncode == 1
    assert "SLACK_CLIENT_SECRET" in result.stderr


def test_a_port_in_use_exits_1_with_a_sentence(tmp_path: Path):
    env = base_env(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["PORT"])))
        taken.listen()
        result = run_serve(env)
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
@pytest.mark.parametrize("log_format", ["console", "json"])
def test_serve_answers_slack_and_stops_cleanly_on_sigterm(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack, log_format: str
):
    fake_slack.admins.add(ADMIN)
    key = admin_key()
    seed_key(bot_settings(tmp_path, sim.base_url, fake_slack), key)
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        VENICE_API_BASE=sim.base_url,
        LOG_LEVEL="DEBUG",
        LOG_FORMAT=log_format,
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    process = _start_serve(env, url)
    try:
        assert httpx.get(f"{url}/readyz").status_code == 200
        reply = _signed_command(url, fake_slack, "balance", "R1")
        assert reply.status_code == 200
        assert "DIEM left today" in message_text(reply.json())
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    for secret in (SIGNING_SECRET, BOT_TOKEN, key):
        assert secret not in out + err
    if log_format == "json":
        lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
        assert all({"time", "level", "logger", "event"} <= set(line) for line in lines)
        [answered] = [line for line in lines if line.get("command") == "balance"
                      and "duration_ms" in line]  # fmt: skip
        assert answered["workspace"] == f"slack:{TEAM_ID}"
        assert len(answered["request_id"]) == 12
        assert answered["event"].startswith("balance answered in ")
        # Every line logged while the command ran carries its request id.
        same = [line for line in lines if line.get("request_id") == answered["request_id"]]
        assert len(same) > 1


def test_a_discord_bot_that_cannot_log_in_stops_serve_with_exit_1(tmp_path: Path):
    dead = f"http://127.0.0.1:{free_port()}/api/v10"
    env = base_env(tmp_path, DISCORD_TOKEN="discord-" + "token-" + "x" * 20, DISCORD_API_URL=dead)
    result = run_serve(env, timeout=60)
    assert result.returncode == 1
    assert "discord stopped" in result.stderr
    assert "Traceback" not in result.stderr
    assert env["DISCORD_TOKEN"] not in result.stderr


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_during_a_slow_command_still_delivers_its_answer(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(bot_settings(tmp_path, sim.base_url, fake_slack), admin_key())
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        VENICE_API_BASE=sim.base_url,
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    process = _start_serve(env, url)
    try:
        set_latency(sim, 3)  # Venice takes 3 s: the ack says "Fetching", the answer comes later
        reply = _signed_command(url, fake_slack, "usage 45d", "R2")
        assert reply.status_code == 200
        assert "Fetching" in message_text(reply.json())
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        set_latency(sim, 0)
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    [answer] = fake_slack.responses("R2")
    assert "45 days" in message_text(answer.params)
    # It waited for the answer (about 3 s), well inside the 10 s drain, then stopped.
    assert 1.5 < time.monotonic() - stopping < 15


def _start_serve(env: dict[str, str], url: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"serve did not start: {process.communicate()}")
        time.sleep(0.1)


def _signed_command(url: str, fake: FakeSlack, text: str, response_id: str) -> httpx.Response:
    body = urlencode({"command": "/venice", "text": text, "team_id": TEAM_ID,
                      "user_id": ADMIN, "user_name": "ada", "channel_id": "C1",
                      "response_url": fake.response_url(response_id),
                      "trigger_id": "t.2"})  # fmt: skip
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=stamp, body=body)
    headers = {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)
