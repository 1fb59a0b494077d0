"""`venice-bot serve` in single-workspace mode checks SLACK_BOT_TOKEN at start-up (auth.test at
SLACK_API_URL): a rotating token or one Slack refuses stops it with a sentence saying what to do;
Slack unreachable only warns."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.adapters.serve_process import ServeProcess, base_env
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import BOT_TOKEN, SIGNING_SECRET
from tests.services import free_port
from venice_simulator.server import RunningSimulator

# What an app with token rotation on hands out: `xoxe.xoxb-...`, valid for 12 hours.
ROTATING_TOKEN = "xoxe." + BOT_TOKEN


def serve_env(tmp_path: Path, fake_slack: FakeSlack, sim: RunningSimulator, token: str) -> dict:
    return base_env(
        tmp_path,
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
        VENICE_API_BASE=sim.base_url,
    )


def failed_start(env: dict[str, str], fake: FakeSlack | None = None) -> tuple[int, str]:
    serve = ServeProcess(env, fake).launch()
    try:
        return serve.wait(30), serve.log
    finally:
        serve.kill()


def test_a_rotating_token_is_refused_with_what_to_do(
    tmp_path: Path, fake_slack: FakeSlack, sim: RunningSimulator
):
    # Slack would accept the token today (auth.test says ok); it would be dead in 12 hours.
    code, log = failed_start(serve_env(tmp_path, fake_slack, sim, ROTATING_TOKEN))
    assert code == 1
    [line] = log.strip().splitlines()
    assert line.startswith("venice-bot serve: SLACK_BOT_TOKEN is a rotating token")
    assert "manifest.yaml" in line
    assert "SLACK_CLIENT_ID" in line
    assert ROTATING_TOKEN not in log
    assert BOT_TOKEN not in log


def test_a_token_slack_refuses_stops_start_up_in_one_sentence(
    tmp_path: Path, fake_slack: FakeSlack, sim: RunningSimulator
):
    fake_slack.on("auth.test", lambda call: {"ok": False, "error": "invalid_auth"})
    code, log = failed_start(serve_env(tmp_path, fake_slack, sim, BOT_TOKEN))
    assert code == 1
    [line] = log.strip().splitlines()
    assert line.startswith("venice-bot serve: Slack refused SLACK_BOT_TOKEN (invalid_auth); ")
    assert "OAuth & Permissions" in line
    [checked] = fake_slack.calls_to("auth.test")
    assert checked.token == BOT_TOKEN  # against SLACK_API_URL, with the configured token
    assert BOT_TOKEN not in log


def test_slack_unreachable_at_start_up_warns_and_serves(tmp_path: Path, sim: RunningSimulator):
    env = base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        VENICE_API_BASE=sim.base_url,
    )
    serve = ServeProcess(env).start()
    try:
        assert httpx.get(f"{serve.url}/healthz").status_code == 200
        code, _ = serve.stop(signal.SIGTERM)
    finally:
        serve.kill()
    assert code == 0
    assert "could not check SLACK_BOT_TOKEN with Slack's auth.test" in serve.log
    assert "starting anyway" in serve.log
    assert "Traceback" not in serve.log


def test_a_good_token_is_checked_once_and_named_by_its_workspace(
    tmp_path: Path, fake_slack: FakeSlack, sim: RunningSimulator
):
    serve = ServeProcess(serve_env(tmp_path, fake_slack, sim, BOT_TOKEN), fake_slack).start()
    try:
        serve.wait_for_log("SLACK_BOT_TOKEN accepted")
        code, _ = serve.stop(signal.SIGTERM)
    finally:
        serve.kill()
    assert code == 0
    assert "Slack workspace T0FAKE (Fake Team): SLACK_BOT_TOKEN accepted" in serve.log
    assert len(fake_slack.calls_to("auth.test")) == 1
