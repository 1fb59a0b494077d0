"""`serve` in multi-workspace mode (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET): the install routes are
served beside /slack/events, and a workspace that never installed the app gets no answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.served import ServedBot, bot_settings
from venice_simulator.server import RunningSimulator

CLIENT_ID = "1111." + "2222"
CLIENT_SECRET = "client-" + "secret-" + "for-tests"


@pytest.fixture
def multi(tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack) -> Iterator[ServedBot]:
    settings = bot_settings(
        tmp_path,
        sim.base_url,
        fake_slack,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
    )
    bot = ServedBot(settings, fake_slack).start()
    try:
        yield bot
    finally:
        bot.stop()


def test_the_install_route_sends_the_installer_to_slack(multi: ServedBot):
    response = httpx.get(f"{multi.url}/slack/install")
    assert response.status_code in (200, 302)
    target = response.headers.get("location") or response.text
    assert "oauth/v2/authorize" in target
    assert f"client_id={CLIENT_ID}" in target
    assert CLIENT_SECRET not in target


def test_a_redirect_without_a_valid_state_is_refused(multi: ServedBot):
    response = httpx.get(f"{multi.url}/slack/oauth_redirect", params={"code": "x", "state": "y"})
    assert response.status_code >= 400
    assert multi.fake.calls_to("oauth.v2.access") == []


def test_a_command_from_a_workspace_that_never_installed_gets_no_billing(multi: ServedBot):
    reply = multi.command("balance")
    assert "DIEM" not in reply.response.text
    assert multi.fake.calls_to("users.info") == []
