"""The buttons under a private reply: a period button replaces the reply in place; Share posts
the same card visibly (without buttons) and removes the private copy."""

from __future__ import annotations

import pytest

from tests.adapters.slack.fake_slack import RESPONSE_METHOD, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    MEMBER,
    ServedBot,
    action_ids,
    admin_key,
    message_text,
    seed_key,
)


@pytest.fixture
def connected(served: ServedBot, fake_slack: FakeSlack) -> ServedBot:
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    return served


def button_value(message: dict, action_id: str) -> str:
    for block in message["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


def test_a_period_button_replaces_the_reply_in_place(connected: ServedBot, fake_slack: FakeSlack):
    ack = connected.command("top-keys 7d 3", user=MEMBER).ack
    value = button_value(ack, "venice_period_30d")
    assert value == "top-keys 30d 3"
    rid = connected.click("venice_period_30d", value, user=MEMBER)
    [replaced] = fake_slack.wait_for(RESPONSE_METHOD)
    assert replaced.response_id == rid
    assert replaced.params["replace_original"] is True
    assert replaced.params["response_type"] == "ephemeral"
    assert "30 days" in message_text(replaced.params)
    # The new reply's own buttons now run 7d and 90d, and Share shares the 30-day view.
    assert button_value(replaced.params, "venice_share") == "top-keys 30d 3"


def test_share_posts_the_card_visibly_without_buttons(connected: ServedBot, fake_slack: FakeSlack):
    ack = connected.command("usage 7d", user=MEMBER).ack
    rid = connected.click("venice_share", button_value(ack, "venice_share"), user=MEMBER)
    shared, deleted = fake_slack.wait_for(RESPONSE_METHOD, count=2)
    assert shared.response_id == deleted.response_id == rid
    assert shared.params["response_type"] == "in_channel"
    assert shared.params["replace_original"] is False
    assert "7 days" in message_text(shared.params)
    assert action_ids(shared.params) == []
    assert f"Shared by <@{MEMBER}>" in message_text(shared.params)
    assert deleted.params["delete_original"] is True


def test_share_stays_private_when_the_clicker_may_no_longer_read(
    connected: ServedBot, fake_slack: FakeSlack
):
    ack = connected.command("balance", user=MEMBER).ack
    connected.command("access admins", user=ADMIN)
    connected.click("venice_share", button_value(ack, "venice_share"), user=MEMBER)
    [answer] = fake_slack.wait_for(RESPONSE_METHOD)
    assert answer.params["response_type"] == "ephemeral"
    assert "only admins can read billing" in message_text(answer.params)
    assert "in_channel" not in [call.params.get("response_type") for call in fake_slack.calls]
