"""A card's actions (an alert's Snooze / Ack / Balance) as Discord buttons: rows of at most 5 in a
persistent view whose custom ids carry the command, in replies and in DiscordPoster's posts; a
click runs the command as the member who clicked and answers them alone (an ephemeral
follow-up), whatever happened to the process that drew the button."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import discord
import pytest

from adapters.discord.actions import action_text, handle_action
from adapters.discord.bot import create_bot
from adapters.discord.messages import (
    RUN_PREFIX,
    SHARE_PREFIX,
    action_buttons,
    card_view,
    reply_kwargs,
    reply_payload,
)
from adapters.discord.poster import DiscordPoster
from adapters.discord.render import card_embed
from bot.cards import Action, Card
from bot.core import Answer
from bot.runtime import Runtime
from bot.settings import Settings
from tests.adapters.discord.conftest import connect_directly
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.standin import manager, member
from tests.adapters.post_samples import alert_post, alert_sample_card
from tests.asking import parsed

CHANNEL = "4000000000000000100"
WORKSPACE = "discord:4000000000000000001"
PASTED = "sk-pasted-admin-key-never-shown-0123456789"


def rows(components: list[dict]) -> list[list[tuple[str, str]]]:
    return [[(b["label"], b["custom_id"]) for b in row["components"]] for row in components]


def card_with(*actions: Action) -> Card:
    return Card(title="Something to do", actions=actions)


# -- drawn ---------------------------------------------------------------------------------------


def test_the_alerts_buttons_are_one_row_each_carrying_its_command():
    view = card_view(alert_sample_card())
    assert view is not None
    assert view.timeout is None  # nothing in it expires
    assert view.is_persistent()
    assert rows(view.to_components()) == [
        [
            ("Snooze 1h", "venice:run:alert snooze 3 1h"),
            ("Snooze 1d", "venice:run:alert snooze 3 1d"),
            ("Snooze 1w", "venice:run:alert snooze 3 1w"),
            ("Ack", "venice:run:alert ack 3"),
            ("Balance", "venice:run:balance"),
        ]
    ]


def test_a_card_without_actions_has_no_view():
    assert card_view(Card(title="Plain")) is None


def test_buttons_go_five_to_a_row_and_share_gets_a_row_of_its_own():
    card = card_with(*(Action(f"Do {i}", f"balance {i}") for i in range(7)))
    answer = Answer(card, "answered", shareable=True)
    payload = reply_payload(answer, "balance")
    assert [len(row) for row in rows(payload["components"])] == [5, 2, 1]
    assert rows(payload["components"])[2] == [("Share", SHARE_PREFIX + "balance")]
    # A shared (public) copy keeps the actions, not Share.
    public = reply_kwargs(answer, "balance", private=False)["view"]
    assert [len(row) for row in rows(public.to_components())] == [5, 2]


def test_at_most_five_rows(caplog: pytest.LogCaptureFixture):
    card = card_with(*(Action(f"Do {i}", f"balance {i}") for i in range(40)))
    assert [len(row) for row in rows(card_view(card).to_components())] == [5] * 5
    answer = Answer(card, "answered", shareable=True)
    shared_too = rows(reply_payload(answer, "balance")["components"])
    assert [len(row) for row in shared_too] == [5, 5, 5, 5, 1]
    assert "left out 15 buttons" in caplog.text


def test_a_command_too_long_for_a_custom_id_is_left_out_and_a_long_label_cut(
    caplog: pytest.LogCaptureFixture,
):
    room = 100 - len(RUN_PREFIX)
    buttons = action_buttons(
        card_with(
            Action("Fits", "x" * room),
            Action("Too long", "x" * (room + 1)),
            Action("Blank", "  "),
            Action("Again", "x" * room),  # the same custom id twice: Discord refuses it
            Action("Label " * 30, "balance"),
            Action("@everyone <@1>", "help"),
        )
    )
    assert [b.custom_id for b in buttons] == [RUN_PREFIX + "x" * room, "venice:run:balance",
                                              "venice:run:help"]  # fmt: skip
    label = buttons[1].label or ""
    assert len(label) <= 80
    assert label.endswith("…")
    assert buttons[2].label == "@everyone <@1>"  # a label is no message: it pings nobody
    assert "left out the 'Too long' button" in caplog.text
    assert "left out the 'Blank' button" in caplog.text


# -- clicked -------------------------------------------------------------------------------------


async def test_balance_on_an_alert_answers_the_clicker_in_an_ephemeral_follow_up(
    runtime: Runtime,
):
    clicker = member(custom_id=RUN_PREFIX + "balance")
    await connect_directly(runtime, clicker.workspace_id)
    assert await handle_action(clicker, runtime) is True
    assert clicker.methods() == ["defer", "followup.send"]
    assert clicker.calls[0].kwargs == {"ephemeral": True, "thinking": True}
    answer = clicker.last()
    assert answer.private
    assert answer.allowed_mentions() == {"parse": []}
    expected = await runtime.ask(parsed("balance"), workspace_id=clicker.workspace_id)
    assert answer.embed.to_dict()["title"] == card_embed(expected.card).to_dict()["title"]
    assert answer.custom_ids() == [SHARE_PREFIX + "balance"]  # as a typed /venice balance


async def test_an_admins_only_command_is_refused_to_a_member_and_run_for_a_manager(
    runtime: Runtime,
):
    workspace = member().workspace_id
    await connect_directly(runtime, workspace)
    refused = member(custom_id=RUN_PREFIX + "access admins")
    await handle_action(refused, runtime)
    assert refused.last().private
    assert refused.last().embed.title == "Admins only"
    reader = member(custom_id=RUN_PREFIX + "balance")
    await handle_action(reader, runtime)
    assert reader.last().embed.title != "Admins only"  # nothing changed
    done = manager(custom_id=RUN_PREFIX + "access admins")
    await handle_action(done, runtime)
    assert done.last().private
    later = member(custom_id=RUN_PREFIX + "balance")
    await handle_action(later, runtime)
    assert later.last().embed.title == "Admins only"


async def test_hostile_custom_ids_never_fail_nor_echo_a_secret(runtime: Runtime):
    await connect_directly(runtime, member().workspace_id)
    for text in (f"connect {PASTED}", "not a command", "alert ack 3", "\u202e\x00;", "help"):
        clicker = member(custom_id=RUN_PREFIX + text)
        assert await handle_action(clicker, runtime) is True
        assert clicker.last().private, text
        assert PASTED not in clicker.everything_sent()
    for custom_id in (RUN_PREFIX, RUN_PREFIX + "   ", RUN_PREFIX + "x" * 500, "venice:runbalance"):
        ignored = member(custom_id=custom_id)
        assert action_text(ignored) is None
        assert await handle_action(ignored, runtime) is False
        assert ignored.calls == []


async def test_a_click_outside_a_server_gets_the_private_apology(runtime: Runtime):
    client = create_bot(runtime).client
    clicker = member(custom_id=RUN_PREFIX + "balance", guild_id=None)
    await client.on_interaction(clicker)  # type: ignore[attr-defined]
    (apology,) = clicker.calls
    assert apology.private
    assert apology.embed.title == "Something went wrong"


# -- posted --------------------------------------------------------------------------------------


@pytest.fixture
async def poster(fake_discord: FakeDiscord, discord_api_url: None) -> AsyncIterator[DiscordPoster]:
    settings = Settings(DISCORD_TOKEN=fake_discord.token, DISCORD_API_URL=fake_discord.base_url)
    made = DiscordPoster(settings)
    try:
        yield made
    finally:
        await made.aclose()


async def test_the_posted_alert_carries_its_buttons_and_the_poster_keeps_no_view(
    poster: DiscordPoster, fake_discord: FakeDiscord
):
    await poster.post(WORKSPACE, CHANNEL, alert_post(delivery="alert:3:1"))
    sent = fake_discord.wait_for(lambda r: r.path == f"/channels/{CHANNEL}/messages").json
    assert rows(sent["components"]) == rows(card_view(alert_sample_card()).to_components())
    assert sent["allowed_mentions"] == {"parse": []}
    assert sent["embeds"][0]["title"] == alert_sample_card().title
    (posted,) = fake_discord.posted(CHANNEL)
    assert posted.message["components"] == sent["components"]
    # The clicks go to the gateway client: the HTTP-only poster holds on to no view.
    client = poster._client
    assert client is not None
    assert client._connection._view_store.persistent_views == []
    assert json.dumps(sent).count("venice:run:") == 5


def test_no_view_is_sent_without_actions():
    assert card_view(Card(title="Digest")) is None
    assert isinstance(card_view(alert_sample_card()), discord.ui.View)
