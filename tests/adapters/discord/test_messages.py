"""Discord replies: the kwargs the bot sends with, and the JSON body discord.py really sends.

discord.py talks to a local fake of Discord's HTTP API here, so the body compared with
`reply_payload` is the one the library put on the wire.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from aiohttp import web
from discord.http import Route

from adapters.discord.messages import (
    CHART_PREFIX,
    SHARE_PREFIX,
    reply_kwargs,
    reply_payload,
    share_view,
)
from adapters.discord.render import card_embed
from bot.core import Answer
from tests.adapters.cli.test_main import run_cli
from tests.adapters.discord.test_render_limits import embed_problems
from tests.asking import answer_text
from tests.commands.builders import context
from tests.commands.test_golden import rich
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

USER = {"id": "42", "username": "venice", "discriminator": "0", "avatar": None, "bot": True}
APPLICATION = {
    "id": "42",
    "name": "venice",
    "description": "",
    "icon": None,
    "bot_public": False,
    "bot_require_code_grant": False,
    "owner": USER,
    "verify_key": "0" * 64,
    "flags": 0,
}


async def reply(text: str) -> Answer:
    return await answer_text(text, context(rich()))


def custom_ids(view: discord.ui.View | None) -> list[str | None]:
    if view is None:
        return []
    return [item.custom_id for item in view.children if isinstance(item, discord.ui.Button)]


async def test_a_report_offers_share_only_in_private():
    report = await reply("top-keys 30d 4")
    private = reply_kwargs(report, "top-keys 30d 4", private=True)
    assert private["ephemeral"] is True
    assert private["allowed_mentions"].to_dict() == {"parse": []}
    assert private["embed"].to_dict() == card_embed(report.card).to_dict()
    assert custom_ids(private["view"]) == [SHARE_PREFIX + "top-keys 30d 4"]
    assert private["view"].timeout is None
    public = reply_kwargs(report, "top-keys 30d 4", private=False)
    assert public["ephemeral"] is False
    assert "view" not in public


@pytest.mark.parametrize("text", ["help", "status", "usage 99d", "connect"])
async def test_help_status_errors_and_key_management_are_never_shared(text: str):
    result = await reply(text)
    assert share_view(result, text) is None
    assert "view" not in reply_kwargs(result, text, private=True)
    assert "components" not in reply_payload(result, text)


async def test_a_command_text_too_long_for_a_custom_id_gets_no_button_rather_than_a_cut_one():
    report = await reply("usage 30d")
    too_long = "usage 2026-10-24..2026-11-22" + "x" * (101 - len(SHARE_PREFIX) - 28)
    assert len(SHARE_PREFIX + too_long) == 101
    assert share_view(report, too_long) is None
    exactly = too_long[:-1]
    # Chart's prefix is as long as Share's: both fit, or neither.
    assert custom_ids(share_view(report, exactly)) == [
        SHARE_PREFIX + exactly,
        CHART_PREFIX + exactly,
    ]


async def test_the_payload_is_private_mentions_nobody_and_carries_the_embed():
    report = await reply("balance")
    payload = reply_payload(report, "balance")
    assert payload["content"] == ""
    assert payload["flags"] == 64
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["embeds"] == [card_embed(report.card).to_dict()]
    button = payload["components"][0]["components"][0]
    assert button["custom_id"] == "venice:share:balance"
    assert button["label"] == "Share"
    json.dumps(payload)


# --- what discord.py puts on the wire ---------------------------------------------------------


def as_json(body: dict[str, Any]) -> web.Response:
    # discord.py parses a body only when the content type is exactly `application/json`.
    return web.Response(
        body=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )


@dataclass
class FakeDiscord:
    """Discord's HTTP API, as much as `Client.login` and an interaction follow-up need."""

    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def me(self, request: web.Request) -> web.Response:
        return as_json(USER)

    async def application(self, request: web.Request) -> web.Response:
        return as_json(APPLICATION)

    async def execute(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.bodies.append(body)
        message = {
            "id": "1000",
            "channel_id": "2000",
            "type": 0,
            "content": body.get("content", ""),
            "author": USER,
            "embeds": body.get("embeds", []),
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "mention_everyone": False,
            "tts": False,
            "timestamp": datetime(2026, 11, 22, 14, 3, tzinfo=UTC).isoformat(),
            "edited_timestamp": None,
            "flags": body.get("flags", 0),
            "components": body.get("components", []),
        }
        return as_json(message)


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    app = web.Application()
    app.router.add_get("/api/v10/users/@me", fake.me)
    app.router.add_get("/api/v10/oauth2/applications/@me", fake.application)
    app.router.add_post("/api/v10/webhooks/{id}/{token}", fake.execute)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    monkeypatch.setattr(Route, "BASE", f"http://{host}:{port}/api/v10")
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("text", ["top-models 30d 3", "help", "usage 99d"])
async def test_discord_py_sends_exactly_the_payload(fake_discord: FakeDiscord, text: str):
    result = await reply(text)
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login("fake-" + "token")
        # What `interaction.followup` is: the application's webhook with the interaction token.
        followup = discord.Webhook.from_state(
            data={"id": "42", "type": 3, "token": "interaction-" + "token"},
            state=client._connection,
        )
        kwargs = reply_kwargs(result, text, private=True)
        await followup.send(**kwargs)
        if "view" in kwargs:
            kwargs["view"].stop()
    finally:
        await client.close()
    (sent,) = fake_discord.bodies
    expected = reply_payload(result, text)
    # discord.py leaves `content` out when none is given; Discord reads that as empty.
    assert expected.pop("content") == ""
    assert sent == expected


# --- the CLI ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


def test_ask_format_discord_prints_the_message_as_json(simulator: RunningSimulator):
    result = run_cli("ask", "top-models 30d 3", "--format", "discord", base=simulator.base_url)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["content"] == ""
    assert payload["allowed_mentions"] == {"parse": []}
    assert payload["flags"] == 64
    (embed,) = payload["embeds"]
    assert embed["title"].startswith("Venice top models")
    assert embed_problems(discord.Embed.from_dict(embed)) == []
    table = embed["description"].split("```")[1]
    ranks = [line.split()[0] for line in table.splitlines() if line[:2].strip().isdigit()]
    assert ranks == ["1", "2", "3"]
    button = payload["components"][0]["components"][0]
    assert button["custom_id"] == "venice:share:top-models 30d 3"


def test_ask_format_discord_of_invalid_text_exits_2_with_no_share(simulator: RunningSimulator):
    result = run_cli("ask", "usage 99d", "--format", "discord", base=simulator.base_url)
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert "components" not in payload
    assert "90" in payload["embeds"][0]["description"]
