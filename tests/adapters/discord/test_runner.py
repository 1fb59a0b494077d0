"""`run_discord` as `serve` runs it: a real discord.py client on the fake Discord's gateway and
HTTP API, answering /venice, Share clicks and the connect modal, then closing on stop."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from discord.gateway import DiscordWebSocket
from pydantic import SecretStr

from adapters.discord.poster import DiscordPoster
from adapters.discord.runner import run_discord
from bot.errors import BotError
from bot.runtime import Runtime
from tests.adapters.discord import gateway_events as events
from tests.adapters.discord.conftest import admin_key, connect_directly
from tests.adapters.discord.fake_discord import APPLICATION_ID, EPHEMERAL, FakeDiscord, Recorded
from tests.adapters.discord.standin import CHANNEL_ID, GUILD_ID
from tests.adapters.post_samples import alert_post
from tests.services import free_port

GUILDS_INTENT = 1 << 0
WORKSPACE = f"discord:{GUILD_ID}"


@pytest.fixture
def gateway_restored() -> Iterator[None]:
    before = DiscordWebSocket.DEFAULT_GATEWAY
    try:
        yield
    finally:
        DiscordWebSocket.DEFAULT_GATEWAY = before


@pytest.fixture(params=[False, True], ids=["client", "sharded"])
async def serving(
    request: pytest.FixtureRequest,
    runtime: Runtime,
    fake_discord: FakeDiscord,
    discord_api_url: None,
    gateway_restored: None,
) -> AsyncIterator[FakeDiscord]:
    """The bot connected to the fake (as a Client, then as an AutoShardedClient)."""
    runtime.settings = runtime.settings.model_copy(
        update={
            "discord_token": SecretStr(fake_discord.token),
            "discord_api_url": fake_discord.base_url,
            "discord_sharded": request.param,
        }
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_discord(runtime, stop))
    assert await asyncio.to_thread(fake_discord.identified.wait, 15), "the bot never identified"
    try:
        yield fake_discord
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)  # returns once the client is closed


async def send(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    await asyncio.to_thread(fake.dispatch, "INTERACTION_CREATE", payload)


async def answer_to(fake: FakeDiscord, payload: dict[str, Any], route: str) -> Recorded:
    """The request answering the interaction: its `callback` or a `followup` webhook."""
    token = payload["token"]

    def matches(request: Recorded) -> bool:
        if route == "callback":
            return request.path == f"/interactions/{payload['id']}/{token}/callback"
        return request.method == "POST" and request.path == f"/webhooks/{APPLICATION_ID}/{token}"

    return await asyncio.to_thread(fake.wait_for, matches, 15)


def identify(fake: FakeDiscord) -> dict[str, Any]:
    (frame,) = [frame for frame in fake.gateway_frames if frame.get("op") == 2]
    data: dict[str, Any] = frame["d"]
    return data


async def test_serve_identifies_with_the_guilds_intent_only_and_never_syncs(
    serving: FakeDiscord, request: pytest.FixtureRequest
):
    sent = identify(serving)
    assert sent["intents"] == GUILDS_INTENT
    sharded = request.node.callspec.params["serving"]
    assert sent.get("shard") == ([0, 1] if sharded else None)
    assert sent["token"] == serving.token
    assert serving.recorded("PUT") == []  # commands are a deploy step, not a start-up one


async def test_a_slash_command_is_deferred_privately_and_shared_publicly(
    serving: FakeDiscord, runtime: Runtime
):
    await connect_directly(runtime, WORKSPACE)
    asked = events.slash("top-keys", period="30d", n=5)
    await send(serving, asked)
    deferred = await answer_to(serving, asked, "callback")
    assert deferred.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    reply = (await answer_to(serving, asked, "followup")).json
    assert reply["flags"] & EPHEMERAL
    assert reply["allowed_mentions"] == {"parse": []}
    assert reply["embeds"][0]["title"]
    (row,) = reply["components"]
    (button,) = row["components"]
    assert button["custom_id"] == "venice:share:top-keys 30d 5"

    clicked = events.click(button["custom_id"])
    await send(serving, clicked)
    shared = (await answer_to(serving, clicked, "callback")).json
    assert shared["type"] == 4  # a new message in the channel
    assert not shared["data"].get("flags", 0) & EPHEMERAL
    assert shared["data"]["allowed_mentions"] == {"parse": []}
    assert shared["data"]["embeds"] == reply["embeds"]
    assert not shared["data"].get("components")


async def test_a_button_another_process_posted_is_answered_to_the_clicker_alone(
    serving: FakeDiscord, runtime: Runtime
):
    """An alert posted by the scheduler's HTTP-only poster: the gateway client, which never saw
    the post (as after a restart), answers its Balance button privately."""
    await connect_directly(runtime, WORKSPACE)
    poster = DiscordPoster(runtime.settings)
    try:
        await poster.post(WORKSPACE, str(CHANNEL_ID), alert_post())
    finally:
        await poster.aclose()
    (posted,) = serving.posted(str(CHANNEL_ID))
    buttons = [b for row in posted.message["components"] for b in row["components"]]
    (balance,) = [b for b in buttons if b["label"] == "Balance"]
    clicked = events.click(balance["custom_id"], on=posted.message)
    await send(serving, clicked)
    deferred = (await answer_to(serving, clicked, "callback")).json
    assert deferred == {"type": 5, "data": {"flags": EPHEMERAL}}  # thinking, to the clicker
    answer = (await answer_to(serving, clicked, "followup")).json
    assert answer["flags"] & EPHEMERAL
    assert answer["allowed_mentions"] == {"parse": []}
    assert "balance" in answer["embeds"][0]["title"].lower()
    # The alert is left as it was: no edit of it, no second message in the channel.
    assert serving.posted(str(CHANNEL_ID)) == [posted]
    assert [r for r in serving.recorded("PATCH") if posted.message["id"] in r.path] == []


async def test_a_member_without_manage_server_is_told_privately_what_is_needed(
    serving: FakeDiscord,
):
    asked = events.slash("connect")
    await send(serving, asked)
    refused = (await answer_to(serving, asked, "callback")).json
    assert refused["type"] == 4
    assert refused["data"]["flags"] & EPHEMERAL
    assert "Manage Server" in json.dumps(refused["data"]["embeds"])


async def test_the_connect_modal_stores_a_key_that_no_request_ever_carries(
    serving: FakeDiscord, runtime: Runtime
):
    asked = events.slash("connect", permissions=events.MANAGER)
    await send(serving, asked)
    opened = (await answer_to(serving, asked, "callback")).json
    assert opened["type"] == 9  # the modal, as the first response
    key = admin_key()
    submitted = events.submit_modal(opened["data"], key)
    await send(serving, submitted)
    deferred = await answer_to(serving, submitted, "callback")
    assert deferred.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    reply = (await answer_to(serving, submitted, "followup")).json
    assert reply["flags"] & EPHEMERAL
    assert reply["embeds"][0]["title"] == "Venice key connected"
    store = (await runtime.open_store()).store
    assert (await store.load_key(WORKSPACE)) == SecretStr(key)
    everything = "\n".join(f"{r.path} {r.query} {r.json} {r.headers}" for r in serving.requests)
    assert key not in everything


async def test_a_refused_token_stops_serve_with_a_clear_error(
    runtime: Runtime, fake_discord: FakeDiscord, discord_api_url: None
):
    runtime.settings = runtime.settings.model_copy(
        update={
            "discord_token": SecretStr("MTEw" + "OTk5.Gx." + "z" * 27),
            "discord_api_url": fake_discord.base_url,
        }
    )
    with pytest.raises(BotError, match="refused DISCORD_TOKEN"):
        await run_discord(runtime, asyncio.Event())


async def test_an_unreachable_api_stops_serve_with_a_clear_error(
    runtime: Runtime, discord_api_url: None
):
    url = f"http://127.0.0.1:{free_port()}/api/v10"
    runtime.settings = runtime.settings.model_copy(
        update={"discord_token": SecretStr("MTEw" + "OTk5.Gx." + "z" * 27), "discord_api_url": url}
    )
    with pytest.raises(BotError, match="could not reach Discord"):
        await run_discord(runtime, asyncio.Event())


async def test_intents_the_gateway_refuses_stop_serve_with_a_clear_error(
    runtime: Runtime, fake_discord: FakeDiscord, discord_api_url: None, gateway_restored: None
):
    fake_discord.close_on_identify = 4014  # "Disallowed intents"
    runtime.settings = runtime.settings.model_copy(
        update={
            "discord_token": SecretStr(fake_discord.token),
            "discord_api_url": fake_discord.base_url,
        }
    )
    with pytest.raises(BotError, match="refused the bot's intents"):
        await asyncio.wait_for(run_discord(runtime, asyncio.Event()), 15)
