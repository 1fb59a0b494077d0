"""`venice-bot serve` at LOG_LEVEL=DEBUG, as an operator debugging it would run it: the bot's own
DEBUG lines appear, but no slack_bolt, slack_sdk or discord line below INFO, and no reply body
(an acknowledgement, a response_url answer, a shared card, a modal, App Home, a Discord embed)
ever reaches the log."""

from __future__ import annotations

import asyncio
import re
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.runtime import Runtime
from tests.adapters.discord import gateway_events as events
from tests.adapters.discord.conftest import discord_token
from tests.adapters.discord.fake_discord import APPLICATION_ID, FakeDiscord
from tests.adapters.discord.standin import GUILD_ID
from tests.adapters.serve_process import ServeProcess, base_env
from tests.adapters.slack.conftest import set_latency
from tests.adapters.slack.fake_slack import RESPONSE_METHOD, FakeSlack
from tests.adapters.slack.served import (
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    admin_key,
    bot_settings,
    reply_texts,
    seed_key,
)
from venice_simulator.server import RunningSimulator

CHAT_LIBRARY_DEBUG = re.compile(r"^\S+ \S+ DEBUG (slack_bolt|slack_sdk|discord|venice-bot)\b", re.M)


def seed_discord_key(settings_path: Path, sim: RunningSimulator, fake: FakeSlack) -> None:
    settings = bot_settings(settings_path, sim.base_url, fake)

    async def store() -> None:
        runtime = Runtime.build(settings)
        try:
            opened = await runtime.open_store()
            await opened.store.save_credential(
                f"discord:{GUILD_ID}",
                SecretStr(admin_key()),
                key_type="admin",
                set_by="test",
                verified_at=datetime.now(UTC),
            )
        finally:
            await runtime.aclose()

    asyncio.run(store())


def test_at_debug_no_chat_library_debug_line_and_no_reply_body_reach_the_log(
    tmp_path: Path, sim: RunningSimulator, fake_slack: FakeSlack
):
    fake_slack.admins.add(ADMIN)
    seed_key(bot_settings(tmp_path, sim.base_url, fake_slack), admin_key())
    seed_discord_key(tmp_path, sim, fake_slack)
    with FakeDiscord(discord_token()).running() as discord:
        env = base_env(
            tmp_path,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake_slack.api_url,
            VENICE_API_BASE=sim.base_url,
            DISCORD_TOKEN=discord.token,
            DISCORD_API_URL=discord.base_url,
            LOG_LEVEL="DEBUG",
        )
        serve = ServeProcess(env, fake_slack).start()
        try:
            assert discord.identified.wait(15)
            replies: list[Any] = []
            # An answer in the acknowledgement itself, then Share on it.
            ack = serve.command("balance").ack
            replies.append(ack)
            share = next(
                element["value"]
                for block in ack["blocks"]
                if block["type"] == "actions"
                for element in block["elements"]
                if element["action_id"] == "venice_share"
            )
            serve.click("venice_share", share)
            # A slow answer, through the response_url after "Fetching".
            set_latency(sim, 1.5)
            replies.append(serve.command("usage 45d", response_id="RSLOW").ack)
            fake_slack.wait_for(RESPONSE_METHOD, count=3, timeout=15)
            set_latency(sim, 0)
            # The connect modal (views.open) and App Home (views.publish).
            serve.command("connect")
            serve.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
            fake_slack.wait_for("views.open")
            fake_slack.wait_for("views.publish")
            # Discord: a slash command answered through its follow-up webhook.
            asked = events.slash("balance")
            discord.dispatch("INTERACTION_CREATE", asked)
            followup = discord.wait_for(
                lambda r: (
                    r.method == "POST" and r.path == f"/webhooks/{APPLICATION_ID}/{asked['token']}"
                ),
                15,
            )
            replies.append(followup.json)
            serve.wait_for_log("balance answered")
            code, _ = serve.stop(signal.SIGTERM)
        finally:
            serve.kill()
    assert code == 0, serve.log
    log = serve.log
    for call in fake_slack.calls:
        if call.method in (RESPONSE_METHOD, "views.open", "views.publish", "chat.postMessage"):
            replies.append(call.params)
    texts = set().union(*(reply_texts(reply) for reply in replies))
    assert any("DIEM" in text for text in texts)  # the replies were read
    assert any("45 days" in text for text in texts)
    leaked = sorted(text for text in texts if text in log)
    assert leaked == []
    assert CHAT_LIBRARY_DEBUG.findall(log) == []
    assert re.search(r" DEBUG bot\.venice\.client: venice GET /billing/balance", log)
    assert "Traceback" not in log, log
    for secret in (SIGNING_SECRET, BOT_TOKEN, discord.token):
        assert secret not in log
