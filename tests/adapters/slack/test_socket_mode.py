"""Socket Mode (SLACK_APP_TOKEN, for development): the bot opens Slack's WebSocket (a local
fake here, reached through apps.connections.open at the fake Web API) and acknowledges each
envelope over it; HTTP then serves the health routes but no unsigned Slack route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adapters.slack.fake_slack import TEAM_ID, Call, FakeSlack
from tests.adapters.slack.fake_socket_mode import FakeSocketModeServer
from tests.adapters.slack.served import ADMIN, ServedBot, admin_key, bot_settings, seed_key
from venice_simulator.server import RunningSimulator

APP_TOKEN = "xapp-" + "1-" + "A0VENICE-" + "0" * 12


@pytest.fixture
def socket_server() -> Iterator[FakeSocketModeServer]:
    server = FakeSocketModeServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_socket_mode_answers_over_the_websocket(
    tmp_path: Path,
    sim: RunningSimulator,
    fake_slack: FakeSlack,
    socket_server: FakeSocketModeServer,
):
    fake_slack.admins.add(ADMIN)
    fake_slack.on("apps.connections.open", lambda call: {"ok": True, "url": socket_server.url})
    settings = bot_settings(
        tmp_path, sim.base_url, fake_slack, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=""
    )
    seed_key(settings, admin_key())
    bot = ServedBot(settings, fake_slack).start()
    try:
        assert socket_server.connected.wait(10)
        [opened] = fake_slack.calls_to("apps.connections.open")
        assert isinstance(opened, Call)
        assert opened.token == APP_TOKEN
        socket_server.send(
            {
                "envelope_id": "E1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "command": "/venice",
                    "text": "balance",
                    "team_id": TEAM_ID,
                    "user_id": ADMIN,
                    "user_name": "ada",
                    "channel_id": "C1",
                    "response_url": fake_slack.response_url("R1"),
                    "trigger_id": "t.1",
                    "api_app_id": "A0VENICE",
                },
            }
        )
        ack = socket_server.acks.get(timeout=10)
        assert ack["envelope_id"] == "E1"
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "DIEM left today" in ack["payload"]["text"]
        assert httpx.get(f"{bot.url}/healthz").status_code == 200
        # No signing secret in Socket Mode, so no Slack route over HTTP at all.
        assert httpx.post(f"{bot.url}/slack/events", content=b"{}").status_code == 404
    finally:
        assert bot.stop() == 0
