"""`/venice TEXT` over real HTTP: signed requests to the served bot, Slack at the fake, Venice at
the simulator. Every reply is private; the answer is in the ack or, when Venice is slow, it
replaces "Fetching ..." through the response_url."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from adapters.slack.commands import ACK_WINDOW
from tests.adapters.slack.conftest import set_latency
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    MEMBER,
    ServedBot,
    action_ids,
    admin_key,
    bot_settings,
    message_text,
    seed_key,
)
from venice_simulator.server import RunningSimulator

REPORTS = {
    "balance": "DIEM left today",
    "usage 30d": "30 days",
    "top-keys 7d 3": "Production API",
    "top-models 7d 3": "GLM 5.1",
}


def final_reply(bot: ServedBot, ack: dict[str, Any], response_id: str) -> dict[str, Any]:
    """The reply the user ends up seeing: the ack itself, or what replaced it later."""
    if "Fetching" not in message_text(ack):
        return ack
    deadline = time.monotonic() + 10
    while not (answered := bot.fake.responses(response_id)):
        assert time.monotonic() < deadline, "no reply reached this command's response_url"
        time.sleep(0.01)
    return answered[-1].params


@pytest.fixture
def connected(served: ServedBot, fake_slack: FakeSlack) -> ServedBot:
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    return served


@pytest.mark.parametrize(("text", "expected"), REPORTS.items())
def test_reports_are_private_with_period_and_share_buttons(connected: ServedBot, text, expected):
    command = connected.command(text, user=MEMBER)
    assert command.seconds < 3
    ack = command.ack
    assert ack["response_type"] == "ephemeral"
    reply = final_reply(connected, ack, command.response_id)
    assert expected in message_text(reply)
    ids = action_ids(reply)
    assert "venice_share" in ids
    if text != "balance":
        assert {"venice_period_7d", "venice_period_30d", "venice_period_90d"} <= set(ids)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", "top-keys"),
        ("help usage", "usage"),
        ("status", "reads billing with the admin key …"),
        ("access", "Everyone in this workspace"),
        ("access admins", "Only workspace admins"),
        ("usage 99d", "90"),
        ("frobnicate", "help"),
    ],
)
def test_help_status_access_and_errors_stay_private_without_share(
    connected: ServedBot, text: str, expected: str
):
    reply = connected.command(text).ack
    assert reply["response_type"] == "ephemeral"
    assert expected in message_text(reply)
    assert "venice_share" not in action_ids(reply)


def test_a_member_cannot_change_access(connected: ServedBot):
    reply = connected.command("access admins", user=MEMBER).ack
    assert "Only workspace admins can change who may read billing" in message_text(reply)


def test_without_a_key_the_reply_says_how_to_connect(served: ServedBot):
    reply = served.command("balance").ack
    assert reply["response_type"] == "ephemeral"
    assert "connect" in message_text(reply).lower()
    assert "venice_share" not in action_ids(reply)


def test_a_cache_hit_is_answered_in_the_ack(connected: ServedBot, sim: RunningSimulator):
    connected.command("usage 7d")  # warms the cache
    sim.simulator.calls.clear()
    command = connected.command("usage 7d")
    assert "Fetching" not in message_text(command.ack)
    assert "7 days" in message_text(command.ack)
    assert sim.simulator.calls == []
    assert connected.fake.responses(command.response_id) == []


def test_slow_venice_is_acknowledged_at_once_and_answered_through_response_url(
    connected: ServedBot, sim: RunningSimulator
):
    set_latency(sim, 10)
    command = connected.command("balance")
    assert command.seconds < ACK_WINDOW + 0.4  # well inside Slack's 3 s
    ack = command.ack
    assert ack["response_type"] == "ephemeral"
    assert "Fetching balance" in message_text(ack)
    started = time.monotonic()
    [delivered] = connected.fake.wait_for(RESPONSE_METHOD, timeout=20)
    assert time.monotonic() - started > 5  # it really waited for Venice
    assert delivered.response_id == command.response_id
    assert delivered.params["replace_original"] is True
    assert delivered.params["response_type"] == "ephemeral"
    assert "DIEM left today" in message_text(delivered.params)
    assert "venice_share" in action_ids(delivered.params)


def test_users_info_is_asked_once_for_a_burst_of_commands(connected: ServedBot):
    for _ in range(3):
        connected.command("help")
    assert len(connected.fake.calls_to("users.info")) == 1


def test_the_bot_token_is_what_the_fake_slack_sees(connected: ServedBot):
    from tests.adapters.slack.served import BOT_TOKEN

    connected.command("help")
    assert {call.token for call in connected.fake.calls_to("users.info")} == {BOT_TOKEN}


def test_stopping_delivers_answers_already_acknowledged(
    connected: ServedBot, sim: RunningSimulator
):
    set_latency(sim, 2)
    command = connected.command("usage 14d")
    assert "Fetching" in message_text(command.ack)
    assert connected.stop() == 0  # SIGTERM's path: stop() sets the same event
    [delivered] = connected.fake.responses(command.response_id)
    assert "14 days" in message_text(delivered.params)


def test_blank_oauth_variables_leave_single_workspace_mode_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path, sim: RunningSimulator, fake_slack: FakeSlack
):
    # An `.env` listing every setting, the OAuth pair left blank: Bolt alone would switch to the
    # OAuth install and answer every command with "please reinstall".
    monkeypatch.setenv("SLACK_CLIENT_ID", "")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", " ")
    settings = bot_settings(tmp_path, sim.base_url, fake_slack)
    assert settings.slack_client_id is None
    bot = ServedBot(settings, fake_slack).start()
    try:
        seed_key(settings, admin_key())
        command = bot.command("balance", user=MEMBER)
        reply = final_reply(bot, command.ack, command.response_id)
        assert "DIEM left today" in message_text(reply)
    finally:
        bot.stop()
    assert os.environ["SLACK_CLIENT_ID"] == ""  # put back as it was
