"""A card's actions (an alert's Snooze / Ack / Balance) as Slack buttons: drawn after the card in
actions blocks within Block Kit's limits, posted by SlackPoster, and answered by a bot that never
saw the post (as after a restart): the command in the button's value runs as the clicker, and the
answer goes to the clicker alone, in a new ephemeral message, the alert staying as it was."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.slack.poster import SlackPoster
from adapters.slack.render import ACTION_RUN_PREFIX, ACTIONS_BLOCK_ID, render_card
from bot.cards import Action, Card, Field
from bot.ports import Post
from tests.adapters.post_samples import alert_post, alert_sample_card
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, FakeSlack
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
from tests.adapters.slack.test_render_limits import assert_within_limits

WORKSPACE = "slack:T0FAKE"
PASTED = "sk-pasted-admin-key-never-shown-0123456789"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def card_with(*actions: Action, **kw: Any) -> Card:
    return Card(title="Something to do", summary="A card with buttons.", actions=actions, **kw)


# -- drawn ---------------------------------------------------------------------------------------


def test_the_alerts_buttons_come_last_each_carrying_its_command():
    message = render_card(alert_sample_card())
    assert_within_limits(message)
    last = message["blocks"][-1]
    assert last["type"] == "actions"
    assert last["block_id"] == ACTIONS_BLOCK_ID
    assert [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons(message)] == [
        ("Snooze 1h", "venice_run_0", "alert snooze 3 1h"),
        ("Snooze 1d", "venice_run_1", "alert snooze 3 1d"),
        ("Snooze 1w", "venice_run_2", "alert snooze 3 1w"),
        ("Ack", "venice_run_3", "alert ack 3"),
        ("Balance", "venice_run_4", "balance"),
    ]
    # The card itself is drawn as it would be without buttons.
    bare = render_card(Card(**{**_fields_of(alert_sample_card()), "actions": ()}))
    assert message["blocks"][:-1] == bare["blocks"]


def _fields_of(card: Card) -> dict[str, Any]:
    return {name: getattr(card, name) for name in card.__dataclass_fields__}


def test_a_card_without_actions_has_no_actions_block():
    assert action_ids(render_card(Card(title="Plain", summary="Nothing to press."))) == []


def test_thirty_actions_take_two_blocks_of_at_most_25_with_unique_ids():
    message = render_card(card_with(*(Action(f"Do {i}", f"balance {i}") for i in range(30))))
    assert_within_limits(message)
    blocks = [block for block in message["blocks"] if block["type"] == "actions"]
    assert [len(block["elements"]) for block in blocks] == [25, 5]
    assert len({block["block_id"] for block in blocks}) == 2
    ids = action_ids(message)
    assert ids == [f"{ACTION_RUN_PREFIX}{i}" for i in range(30)]


def test_a_long_label_is_cut_visibly_and_a_command_slack_cannot_carry_is_left_out(
    caplog: pytest.LogCaptureFixture,
):
    long_label = "Snooze " + "very " * 40 + "long"
    message = render_card(
        card_with(
            Action(long_label, "alert snooze 3 1h"),
            Action("Too long", "alert ack " + "9" * 2000),
            Action("Blank", "   "),
            Action("<!channel> & co", "balance"),
        )
    )
    assert_within_limits(message)
    shown = buttons(message)
    assert [b["value"] for b in shown] == ["alert snooze 3 1h", "balance"]
    label = shown[0]["text"]["text"]
    assert len(label) <= 75
    assert label.endswith("…")
    assert shown[1]["text"]["text"] == "&lt;!channel&gt; &amp; co"  # never a ping
    assert action_ids(message) == ["venice_run_0", "venice_run_1"]  # still unique, in order
    assert "left out the 'Too long' button" in caplog.text
    assert "left out the 'Blank' button" in caplog.text


def test_a_card_that_fills_the_message_keeps_its_buttons_within_50_blocks():
    fields = tuple(Field(f"label {i}", "x" * 100) for i in range(600))
    card = card_with(*(Action(f"Do {i}", f"balance {i}") for i in range(60)), fields=fields)
    for max_blocks in (50, 3):
        message = render_card(card, max_blocks=max_blocks)
        assert_within_limits(message, max_blocks)
        assert message["blocks"][0]["type"] == "header"
    assert len(action_ids(render_card(card))) == 60


# -- posted --------------------------------------------------------------------------------------


@pytest.fixture
def connected(served: ServedBot, fake_slack: FakeSlack) -> ServedBot:
    fake_slack.admins.add(ADMIN)
    seed_key(served.settings, admin_key())
    return served


@pytest.fixture
async def poster(connected: ServedBot) -> AsyncIterator[SlackPoster]:
    # The scheduler's poster, beside the bot that answers clicks: they share only Slack.
    made = SlackPoster(connected.settings, opened=None)  # type: ignore[arg-type]
    try:
        yield made
    finally:
        await made.aclose()


async def posted_alert(poster: SlackPoster, fake: FakeSlack) -> tuple[str, dict[str, Any]]:
    posted = await poster.post(WORKSPACE, CHANNEL, alert_post(delivery="alert:3:1"))
    (call,) = fake.calls_to("chat.postMessage")
    return posted.message_id, call.params


async def test_the_scheduled_alert_carries_its_buttons(poster: SlackPoster, fake_slack: FakeSlack):
    _, sent = await posted_alert(poster, fake_slack)
    assert sent["blocks"] == render_card(alert_sample_card())["blocks"]
    assert [b["value"] for b in buttons(sent)] == [
        "alert snooze 3 1h",
        "alert snooze 3 1d",
        "alert snooze 3 1w",
        "alert ack 3",
        "balance",
    ]


async def click_posted(
    bot: ServedBot, fake: FakeSlack, ts: str, sent: dict[str, Any], label: str, user: str
) -> dict[str, Any]:
    """USER presses the button LABEL on the posted message; what the response_url got."""
    (button,) = [b for b in buttons(sent) if b["text"]["text"] == label]
    fake.clear()
    rid = bot.click(
        button["action_id"], button["value"], user=user, message_ts=ts, block_id=ACTIONS_BLOCK_ID
    )
    (answer,) = fake.wait_for(RESPONSE_METHOD)
    assert answer.response_id == rid
    return answer.params


def assert_private_and_new(answer: dict[str, Any], fake: FakeSlack) -> None:
    """The answer is ephemeral and a new message: the alert is neither replaced nor deleted."""
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert "delete_original" not in answer
    assert fake.calls_to("chat.update") == []
    assert fake.calls_to("chat.delete") == []


async def test_balance_on_the_alert_answers_the_clicker_alone(
    poster: SlackPoster, connected: ServedBot, fake_slack: FakeSlack
):
    ts, sent = await posted_alert(poster, fake_slack)
    answer = await click_posted(connected, fake_slack, ts, sent, "Balance", MEMBER)
    assert_private_and_new(answer, fake_slack)
    text = message_text(answer)
    assert "USD balance" in text
    # The private balance offers Share, as a typed `/venice balance` does.
    assert "venice_share" in action_ids(answer)


async def test_an_admins_only_command_in_a_button_is_refused_to_a_member_privately(
    poster: SlackPoster, connected: ServedBot, fake_slack: FakeSlack
):
    card = card_with(Action("Admins only", "access admins"), Action("Help", "help"))
    posted = await poster.post(WORKSPACE, CHANNEL, Post(card, None, None))
    (call,) = fake_slack.calls_to("chat.postMessage")
    answer = await click_posted(
        connected, fake_slack, posted.message_id, call.params, "Admins only", MEMBER
    )
    assert_private_and_new(answer, fake_slack)
    assert "Only workspace admins can" in message_text(answer)
    # Nothing changed: the member still reads billing.
    assert "USD balance" in message_text(connected.command("balance", user=MEMBER).ack)
    helped = await click_posted(
        connected, fake_slack, posted.message_id, call.params, "Help", MEMBER
    )
    assert_private_and_new(helped, fake_slack)
    assert "balance" in message_text(helped)


async def test_ack_before_the_alert_command_exists_is_answered_privately_too(
    poster: SlackPoster, connected: ServedBot, fake_slack: FakeSlack
):
    ts, sent = await posted_alert(poster, fake_slack)
    answer = await click_posted(connected, fake_slack, ts, sent, "Ack", ADMIN)
    assert_private_and_new(answer, fake_slack)
    assert "alert" in message_text(answer)


def test_hostile_values_are_answered_privately_and_never_echo_a_secret(
    connected: ServedBot, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    for value in (f"connect {PASTED}", "not a command at all", "", "x" * 20_000, "\u202e\x00;"):
        fake_slack.clear()
        connected.click("venice_run_0", value, user=MEMBER, message_ts="1700000000.000100")
        (answer,) = fake_slack.wait_for(RESPONSE_METHOD)
        assert answer.params["response_type"] == "ephemeral"
        assert answer.params["replace_original"] is False
        assert PASTED not in json.dumps(answer.params)
    assert PASTED not in caplog.text
    assert "Traceback" not in caplog.text


def test_an_id_of_the_prefix_the_renderer_never_writes_is_not_answered(
    connected: ServedBot, fake_slack: FakeSlack
):
    for action_id in ("venice_run_x", "venice_run_", "venice_run_1\n", "venice_run_99999"):
        response = connected.interaction(
            {
                "type": "block_actions",
                "team": {"id": "T0FAKE"},
                "user": {"id": MEMBER, "name": "m", "team_id": "T0FAKE"},
                "response_url": fake_slack.response_url("RHOSTILE"),
                "actions": [{"action_id": action_id, "block_id": "b", "value": "balance"}],
            }
        )
        assert response.status_code == 404, action_id  # no listener: refused, never a 500
    assert fake_slack.responses("RHOSTILE") == []
