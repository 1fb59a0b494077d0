"""SIGTERM or Ctrl-C always stops `venice-bot serve` within 10 seconds, whatever it is doing: HTTP
with a command waiting on a slow Venice, Socket Mode connected or failing to connect, Discord, the
digest scheduler in the middle of a tick, and start-up waiting on a database that never answers.
Socket Mode with an app token Slack refuses stops by itself with one sentence."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime import Runtime
from bot.schedule import DigestTime
from tests.adapters.discord.conftest import discord_token
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.serve_process import ServeProcess, base_env
from tests.adapters.slack.conftest import set_latency
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlack
from tests.adapters.slack.fake_socket_mode import FakeSocketModeServer
from tests.adapters.slack.served import (
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    admin_key,
    bot_settings,
    seed_key,
)
from tests.services import free_port
from venice_simulator.server import RunningSimulator

STOP_SECONDS = 10.0
APP_TOKEN = "xapp-" + "1-" + "A0VENICE-" + "1" * 12


def slack_env(tmp_path: Path, sim: RunningSimulator, fake: FakeSlack, **extra: str) -> dict:
    return base_env(
        tmp_path,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        VENICE_API_BASE=sim.base_url,
        **extra,
    )


def stops_in_time(serve: ServeProcess, sig: signal.Signals) -> str:
    """Stop SERVE with SIG; assert it is gone within STOP_SECONDS, cleanly; its log."""
    try:
        code, seconds = serve.stop(sig, timeout=STOP_SECONDS + 20)
    finally:
        serve.kill()
    log = serve.log
    assert seconds < STOP_SECONDS, (seconds, log)
    assert code == 0, log
    assert "Traceback" not in log
    assert "exiting now" not in log  # the watchdog was not needed
    return log


@pytest.fixture
def slow_venice(sim: RunningSimulator) -> Iterator[RunningSimulator]:
    set_latency(sim, 30)  # longer than the bot waits for anything
    try:
        yield sim
    finally:
        set_latency(sim, 0)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_http_with_a_command_stuck_on_venice(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack, sig: signal.Signals
):
    fake_slack.admins.add(ADMIN)
    seed_key(bot_settings(tmp_path, sim.base_url, fake_slack), admin_key())
    serve = ServeProcess(slack_env(tmp_path, sim, fake_slack), fake_slack).start()
    set_latency(sim, 30)
    try:
        assert "Fetching" in str(serve.command("usage 60d", response_id="RSLOW").ack)
        stops_in_time(serve, sig)
    finally:
        set_latency(sim, 0)
    # The answer could not be waited for: "Fetching" is replaced by a sentence, not left hanging.
    [told] = fake_slack.responses("RSLOW")
    assert told.params["replace_original"] is True
    assert "The bot restarted before this answer was ready" in told.params["text"]


def test_socket_mode_connected(tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack):
    server = FakeSocketModeServer().start()
    try:
        fake_slack.on("apps.connections.open", lambda call: {"ok": True, "url": server.url})
        env = slack_env(tmp_path, sim, fake_slack, SLACK_APP_TOKEN=APP_TOKEN)
        serve = ServeProcess(env, fake_slack).start()
        assert server.connected.wait(15)
        serve.wait_for_log("venice-bot serve: Slack over Socket Mode")
        stops_in_time(serve, signal.SIGTERM)
    finally:
        server.stop()
    assert len(fake_slack.calls_to("apps.connections.open")) == 1  # checked once, then used


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_socket_mode_failing_to_connect(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack, sig: signal.Signals
):
    dead = f"ws://127.0.0.1:{free_port()}/link"  # Slack hands out a URL nobody answers
    fake_slack.on("apps.connections.open", lambda call: {"ok": True, "url": dead})
    env = slack_env(tmp_path, sim, fake_slack, SLACK_APP_TOKEN=APP_TOKEN)
    serve = ServeProcess(env, fake_slack).start()
    serve.wait_for_log("Socket Mode: Failed to connect")
    log = stops_in_time(serve, sig)
    assert log.count("Socket Mode: Failed to connect") == 1  # one line a minute, no traceback


def test_socket_mode_with_an_app_token_slack_refuses_exits_in_one_sentence(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack
):
    fake_slack.on("apps.connections.open", lambda call: {"ok": False, "error": "invalid_auth"})
    env = slack_env(tmp_path, sim, fake_slack, SLACK_APP_TOKEN=APP_TOKEN)
    serve = ServeProcess(env, fake_slack).launch()
    try:
        code = serve.wait(30)
    finally:
        serve.kill()
    assert code == 1
    errors = [line for line in serve.log.splitlines() if line.startswith("venice-bot serve:")]
    assert errors == [
        "venice-bot serve: Slack refused SLACK_APP_TOKEN (invalid_auth); on your Slack app's "
        "Basic Information page, under App-Level Tokens, generate a token with the "
        "connections:write scope and set it."
    ]
    assert "Traceback" not in serve.log
    assert APP_TOKEN not in serve.log
    assert len(fake_slack.calls_to("apps.connections.open")) == 1  # asked once, not every 10 s


def test_socket_mode_with_a_bot_token_as_app_token_exits_in_one_sentence(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack
):
    env = slack_env(tmp_path, sim, fake_slack, SLACK_APP_TOKEN=BOT_TOKEN)
    serve = ServeProcess(env, fake_slack).launch()
    try:
        assert serve.wait(30) == 1
    finally:
        serve.kill()
    wrong_kind = "venice-bot serve: SLACK_APP_TOKEN is not an app-level token (those start with"
    assert wrong_kind in serve.log
    assert fake_slack.calls_to("apps.connections.open") == []


def test_discord_connected(tmp_path: Path, sim: RunningSimulator):
    with FakeDiscord(discord_token()).running() as discord:
        env = base_env(
            tmp_path,
            DISCORD_TOKEN=discord.token,
            DISCORD_API_URL=discord.base_url,
            VENICE_API_BASE=sim.base_url,
        )
        serve = ServeProcess(env).start()
        assert discord.identified.wait(15)
        stops_in_time(serve, signal.SIGTERM)


def test_the_digest_scheduler_in_the_middle_of_a_tick(
    tmp_path: Path, slow_venice: RunningSimulator, fake_slack: FakeSlack
):
    settings = bot_settings(tmp_path, slow_venice.base_url, fake_slack)
    seed_key(settings, admin_key())

    async def schedule_a_due_digest() -> None:
        runtime = Runtime.build(settings)
        try:
            runner = await runtime.digest_runner()
            # Due two minutes ago: posted (late) at the first tick.
            due = (datetime.now(UTC) - timedelta(minutes=2)).replace(second=0, microsecond=0)
            when = DigestTime(due.time(), "UTC")
            await runner.schedule(f"slack:{TEAM_ID}", "C0DIGEST", when, skip_empty=False,
                                  by=None, now=due - timedelta(minutes=1))  # fmt: skip
        finally:
            await runtime.aclose()

    asyncio.run(schedule_a_due_digest())
    env = slack_env(tmp_path, slow_venice, fake_slack, DIGEST_TICK_SECONDS="0.2")
    serve = ServeProcess(env, fake_slack).start()
    serve.wait_for_log("digests every 0.2 s")
    # The tick has claimed the digest and waits on Venice (30 s) when the signal comes.
    threading.Event().wait(1.5)
    log = stops_in_time(serve, signal.SIGTERM)
    assert "digest scheduler did not stop in time; cancelled" in log  # it was mid-tick


def test_start_up_waiting_on_a_database_that_never_answers(tmp_path: Path, sim: RunningSimulator):
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        env = base_env(
            tmp_path,
            DATABASE_URL=f"postgresql+asyncpg://bot@127.0.0.1:{port}/bot",
            DISCORD_TOKEN=discord_token(),
            DISCORD_API_URL=f"http://127.0.0.1:{free_port()}/api/v10",
            VENICE_API_BASE=sim.base_url,
        )
        serve = ServeProcess(env).launch()
        serve.wait_for_log("", timeout=1)
        threading.Event().wait(2)  # well into start-up: the database connection hangs
        assert serve.process is not None
        assert serve.process.poll() is None
        log = stops_in_time(serve, signal.SIGTERM)
    assert "stopped while starting" in log


def test_a_second_signal_stops_at_once(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(bot_settings(tmp_path, sim.base_url, fake_slack), admin_key())
    serve = ServeProcess(slack_env(tmp_path, sim, fake_slack), fake_slack).start()
    set_latency(sim, 30)
    try:
        serve.command("usage 60d")  # an answer to wait for: the first signal drains it
        assert serve.process is not None
        serve.process.send_signal(signal.SIGTERM)
        threading.Event().wait(0.5)
        code, seconds = serve.stop(signal.SIGINT)  # Ctrl-C again: no more waiting
    finally:
        set_latency(sim, 0)
        serve.kill()
    assert code == 1
    assert seconds < 1.5
    assert "venice-bot serve: stopped at once (a second signal); exiting now" in serve.log
