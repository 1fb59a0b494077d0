"""The Share chart button on a private `/venice usage` reply: clicking it re-runs the reply as
the clicker (the read policy applies) and uploads the chart into the channel (Slack shows no
uploaded image to one person only), as the button says, naming who shared it; a refused upload
is explained to the clicker privately."""

from __future__ import annotations

import pytest

from tests.adapters.slack.fake_slack import RESPONSE_METHOD, Call, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    CHANNEL,
    MEMBER,
    ServedBot,
    action_ids,
    admin_key,
    message_text,
    seed_key,
)
from tests.adapters.slack.test_actions import button_value

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def connected(served: ServedBot, fake_slack: FakeSlack) -> ServedBot:
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    return served


def test_usage_offers_chart_beside_share_and_balance_does_not(connected: ServedBot):
    usage = connected.command("usage 7d", user=MEMBER).ack
    assert action_ids(usage)[-2:] == ["venice_share", "venice_chart"]
    assert button_value(usage, "venice_chart") == "usage 7d"
    balance = connected.command("balance", user=MEMBER).ack
    assert "venice_chart" not in action_ids(balance)


def test_every_button_that_posts_to_the_channel_says_so(connected: ServedBot):
    usage = connected.command("usage 7d", user=MEMBER).ack
    (controls,) = [b for b in usage["blocks"] if b.get("block_id") == "venice_controls"]
    labels = {button["action_id"]: button["text"]["text"] for button in controls["elements"]}
    # The period buttons redraw the private reply; Share and the chart post for everyone.
    assert labels["venice_share"] == "Share to channel"
    assert labels["venice_chart"] == "Share chart"


def test_a_click_uploads_the_chart_into_the_channel_saying_who_shared_it(
    connected: ServedBot, fake_slack: FakeSlack
):
    ack = connected.command("usage 7d", user=MEMBER).ack
    connected.click("venice_chart", button_value(ack, "venice_chart"), user=MEMBER)

    fake_slack.wait_for("files.completeUploadExternal")
    (shared,) = fake_slack.shared_files()
    assert shared.channel == CHANNEL
    assert shared.data.startswith(PNG_SIGNATURE)
    (upload,) = fake_slack.calls_to("file_upload")
    assert upload.params["size"] == len(shared.data) > 1000
    assert shared.filename.endswith(".png")
    assert shared.alt_txt
    assert "spend" in shared.alt_txt.lower()
    assert shared.initial_comment is not None
    assert shared.initial_comment.startswith(f"<@{MEMBER}> shared this chart")
    assert "7 days" in shared.initial_comment
    # The private reply stays as it was: nothing replaced or deleted.
    assert fake_slack.responses() == []


def test_a_refused_upload_is_explained_to_the_clicker(connected: ServedBot, fake_slack: FakeSlack):
    ack = connected.command("usage 7d", user=MEMBER).ack
    fake_slack.on(
        "files.completeUploadExternal",
        lambda call: {"ok": False, "error": "not_in_channel"},
    )
    rid = connected.click("venice_chart", button_value(ack, "venice_chart"), user=MEMBER)
    [told] = fake_slack.wait_for(RESPONSE_METHOD)
    assert told.response_id == rid
    assert told.params["response_type"] == "ephemeral"
    assert told.params["replace_original"] is False
    assert "/invite @Venice" in message_text(told.params)


def test_no_chart_when_the_clicker_may_no_longer_read(connected: ServedBot, fake_slack: FakeSlack):
    ack = connected.command("usage 7d", user=MEMBER).ack
    connected.command("access admins", user=ADMIN)
    connected.click("venice_chart", button_value(ack, "venice_chart"), user=MEMBER)
    [answer] = fake_slack.wait_for(RESPONSE_METHOD)
    assert answer.params["response_type"] == "ephemeral"
    assert "only admins can read billing" in message_text(answer.params)
    uploads: list[Call] = fake_slack.calls_to("files.getUploadURLExternal")
    assert uploads == []
