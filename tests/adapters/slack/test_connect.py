"""Connect and disconnect: admins only; the key goes through a modal, checked with Venice,
refused inline when it is not an ADMIN key, and never echoed anywhere."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from adapters.slack.connect_modal import CALLBACK_ID, KEY_BLOCK
from bot.runtime import Runtime
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, TEAM_ID, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    CHANNEL,
    MEMBER,
    ServedBot,
    action_ids,
    admin_key,
    inference_key,
    message_text,
    seed_key,
)


def stored_fingerprint(bot: ServedBot) -> str | None:
    async def read() -> str | None:
        runtime = Runtime.build(bot.settings)
        try:
            info = await (await runtime.open_store()).store.credential_info(f"slack:{TEAM_ID}")
            return None if info is None else info.fingerprint
        finally:
            await runtime.aclose()

    return asyncio.run(read())


def open_modal(bot: ServedBot) -> dict:
    command = bot.command("connect")
    assert "private window" in message_text(command.ack)
    [opened] = bot.fake.calls_to("views.open")
    assert opened.params["trigger_id"] == command.trigger_id
    view: dict = opened.params["view"]
    return view


def test_a_member_is_told_only_admins_can_connect(served: ServedBot):
    reply = served.command("connect", user=MEMBER).ack
    assert reply["response_type"] == "ephemeral"
    assert "Only workspace admins can connect a Venice key" in message_text(reply)
    assert served.fake.calls_to("views.open") == []


def test_an_owner_counts_as_admin(served: ServedBot, fake_slack: FakeSlack):
    fake_slack.owners.add(MEMBER)
    served.command("connect", user=MEMBER)
    assert len(fake_slack.calls_to("views.open")) == 1


def test_the_modal_has_one_key_input_and_no_secret_in_its_metadata(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    view = open_modal(served)
    assert view["callback_id"] == CALLBACK_ID
    inputs = [block for block in view["blocks"] if block["type"] == "input"]
    assert [block["block_id"] for block in inputs] == [KEY_BLOCK]
    assert "not shown to anyone" in inputs[0]["label"]["text"]
    assert "ADMIN" in inputs[0]["hint"]["text"]
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL}


def test_an_inference_key_is_refused_inline_and_not_stored(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    view = open_modal(served)
    key = inference_key()
    response = served.submit_key(key, view)
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert "ADMIN key" in body["errors"][KEY_BLOCK]
    assert key not in response.text
    assert stored_fingerprint(served) is None
    assert fake_slack.calls_to("chat.postEphemeral") == []


def test_an_admin_key_is_stored_and_confirmed_privately_without_echoing_it(
    served: ServedBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    fake_slack.admins.add(ADMIN)
    view = open_modal(served)
    key = admin_key()
    response = served.submit_key(key, view)
    body = response.json()
    assert body["response_action"] == "update"
    assert body["view"]["type"] == "modal"
    assert not [block for block in body["view"]["blocks"] if block["type"] == "input"]
    assert stored_fingerprint(served) == key[-4:]
    [confirmation] = fake_slack.wait_for("chat.postEphemeral")
    assert confirmation.params["channel"] == CHANNEL
    assert confirmation.params["user"] == ADMIN
    assert f"…{key[-4:]}" in message_text(confirmation.params)
    for text in (response.text, fake_slack.all_text(), caplog.text):
        assert key not in text
    # The workspace answers with it at once.
    assert "DIEM left today" in message_text(served.command("balance").ack)


def test_a_submission_by_someone_no_longer_admin_is_refused(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    view = open_modal(served)
    body = served.submit_key(admin_key(), view, user=MEMBER).json()
    assert body["response_action"] == "errors"
    assert "admins" in body["errors"][KEY_BLOCK]
    assert stored_fingerprint(served) is None


def test_a_key_typed_after_connect_is_refused_and_never_quoted(
    served: ServedBot, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    key = admin_key()
    command = served.command(f"connect {key}")
    assert key not in command.response.text
    assert "revoke" in message_text(command.ack).lower()
    assert fake_slack.calls_to("views.open") == []


def test_disconnect_asks_first_and_cancel_keeps_the_key(served: ServedBot, fake_slack: FakeSlack):
    fake_slack.admins.add(ADMIN)
    key = admin_key()
    seed_key(served.settings, key)
    ack = served.command("disconnect").ack
    assert ack["response_type"] == "ephemeral"
    # The core's question (one wording for every platform), under it the generic buttons.
    assert "Delete this workspace's Venice key?" in message_text(ack)
    assert set(action_ids(ack)) == {"venice_confirm", "venice_cancel"}
    assert stored_fingerprint(served) == key[-4:]
    [cancel] = [b for b in ack["blocks"][-1]["elements"] if b["action_id"] == "venice_cancel"]
    rid = served.click("venice_cancel", cancel["value"])
    [cancelled] = fake_slack.wait_for(RESPONSE_METHOD)
    assert cancelled.response_id == rid
    assert cancelled.params["replace_original"] is True
    assert "Nothing was deleted" in message_text(cancelled.params)
    assert stored_fingerprint(served) == key[-4:]


def test_disconnect_confirmed_removes_the_key(served: ServedBot, fake_slack: FakeSlack):
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    served.command("disconnect")
    served.click("venice_confirm", "disconnect")
    [done] = fake_slack.wait_for(RESPONSE_METHOD)
    assert done.params["replace_original"] is True
    assert "Venice key disconnected" in message_text(done.params)
    assert stored_fingerprint(served) is None


def test_a_member_cannot_disconnect(served: ServedBot, fake_slack: FakeSlack):
    key = admin_key()
    seed_key(served.settings, key)
    reply = served.command("disconnect", user=MEMBER).ack
    assert "Only workspace admins can disconnect" in message_text(reply)
    assert action_ids(reply) == []
    served.click("venice_confirm", "disconnect", user=MEMBER)
    [refused] = fake_slack.wait_for(RESPONSE_METHOD)
    assert "Only workspace admins" in message_text(refused.params)
    assert stored_fingerprint(served) == key[-4:]
