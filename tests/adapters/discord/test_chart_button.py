"""The Chart button on a private `/venice usage` reply: a click re-runs the reply as the clicker
and answers with an ephemeral follow-up carrying the PNG and an embed that shows it."""

from __future__ import annotations

import discord
from discord import app_commands

from adapters.discord.messages import CHART_PREFIX, SHARE_PREFIX
from adapters.discord.share import handle_share
from bot.runtime import Runtime
from tests.adapters.discord.conftest import connect_directly, subcommand
from tests.adapters.discord.standin import member

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_usage_offers_chart_beside_share_and_balance_does_not(
    runtime: Runtime, group: app_commands.Group
):
    asker = member()
    await connect_directly(runtime, asker.workspace_id)
    await subcommand(group, "usage").callback(asker, period="30d")  # type: ignore[call-arg]
    assert asker.last().custom_ids() == [SHARE_PREFIX + "usage 30d", CHART_PREFIX + "usage 30d"]
    other = member()
    await subcommand(group, "balance").callback(other)  # type: ignore[call-arg]
    assert other.last().custom_ids() == [SHARE_PREFIX + "balance"]


async def test_a_click_shows_the_chart_to_the_clicker_alone(
    runtime: Runtime, group: app_commands.Group
):
    asker = member()
    await connect_directly(runtime, asker.workspace_id)
    await subcommand(group, "usage").callback(asker, period="7d")  # type: ignore[call-arg]
    chart_id = asker.last().custom_ids()[-1]
    clicker = member(custom_id=chart_id, user_id=9, name="Linus")

    assert await handle_share(clicker, runtime) is True

    assert clicker.methods() == ["defer", "followup.send"]
    assert clicker.calls[0].kwargs == {"ephemeral": True, "thinking": True}
    sent = clicker.last()
    assert sent.private
    file = sent.kwargs["file"]
    assert isinstance(file, discord.File)
    png = file.fp.read()
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000
    assert file.description  # the alt text, for screen readers
    assert sent.embed.image.url == f"attachment://{file.filename}"
    assert "7 days" in (sent.embed.title or "")
    assert sent.allowed_mentions() == {"parse": []}


async def test_without_a_chart_now_the_clicker_gets_the_answer_privately(runtime: Runtime):
    clicker = member(custom_id=CHART_PREFIX + "usage 7d")  # no key connected (any more)
    await handle_share(clicker, runtime)
    sent = clicker.last()
    assert sent.private
    assert "file" not in sent.kwargs
    assert sent.custom_ids() == []
