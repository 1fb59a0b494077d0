"""The Share button: the clicker re-runs the command and, when it is a shareable report, the card
is posted publicly; anything else is answered privately."""

from __future__ import annotations

import pytest
from discord import app_commands

from adapters.discord import share
from adapters.discord.bot import create_bot
from adapters.discord.messages import SHARE_PREFIX
from adapters.discord.render import card_embed
from adapters.discord.share import handle_share
from bot.command_spec import Caller
from bot.runtime import Runtime
from tests.adapters.discord.conftest import connect_directly, subcommand
from tests.adapters.discord.standin import manager, member
from tests.asking import parsed


async def test_a_click_posts_the_report_publicly_without_a_share_button(runtime: Runtime):
    interaction = member(custom_id=SHARE_PREFIX + "top-keys 30d 5")
    await connect_directly(runtime, interaction.workspace_id)
    assert await handle_share(interaction, runtime) is True
    (posted,) = interaction.calls
    assert posted.method == "send_message"  # answered at once: the report came from the cache
    assert posted.private is False
    assert posted.allowed_mentions() == {"parse": []}
    assert posted.custom_ids() == []
    expected = await runtime.ask(parsed("top-keys 30d 5"), workspace_id=interaction.workspace_id)
    assert posted.embed.to_dict() == card_embed(expected.card).to_dict()


async def test_the_button_a_reply_carries_shares_that_same_reply(
    runtime: Runtime, group: app_commands.Group
):
    asker = member()
    await connect_directly(runtime, asker.workspace_id)
    await subcommand(group, "usage").callback(asker, period="30d")  # type: ignore[call-arg]
    private = asker.last()
    custom_id = private.custom_ids()[0]  # Share (Chart comes after it)
    clicker = member(custom_id=custom_id, user_id=9, name="Linus")
    await handle_share(clicker, runtime)
    public = clicker.last()
    assert not public.private
    assert public.embed.title == private.embed.title


async def test_a_clicker_the_read_policy_excludes_is_answered_privately(runtime: Runtime):
    workspace = member().workspace_id
    await connect_directly(runtime, workspace)
    admin = Caller("1", "admin", is_admin=True)
    await runtime.ask(parsed("access admins"), workspace_id=workspace, caller=admin)
    interaction = member(custom_id=SHARE_PREFIX + "balance")
    await handle_share(interaction, runtime)
    (answer,) = interaction.calls
    assert answer.private
    assert answer.embed.title == "Admins only"
    # Someone with Manage Server may still share it.
    allowed = manager(custom_id=SHARE_PREFIX + "balance")
    await handle_share(allowed, runtime)
    assert not allowed.last().private


async def test_a_report_that_now_fails_is_answered_privately(runtime: Runtime):
    interaction = member(custom_id=SHARE_PREFIX + "usage 7d")  # no key connected (any more)
    await handle_share(interaction, runtime)
    assert interaction.last().private
    assert interaction.last().custom_ids() == []


async def test_text_that_is_not_a_report_is_never_posted(runtime: Runtime):
    workspace = member().workspace_id
    await connect_directly(runtime, workspace)
    for text in ("status", "help", "access", "connect sk-pasted-key", "usage nonsense"):
        interaction = manager(custom_id=SHARE_PREFIX + text)
        await handle_share(interaction, runtime)
        assert interaction.last().private, text


async def test_a_slow_report_is_deferred_then_posted_as_a_follow_up(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(share, "ANSWER_WITHIN", 0.0)  # as if Venice took longer than 3 s
    interaction = member(custom_id=SHARE_PREFIX + "balance")
    await connect_directly(runtime, interaction.workspace_id)
    await handle_share(interaction, runtime)
    assert interaction.methods() == ["defer", "followup.send"]
    assert interaction.calls[0].kwargs == {"ephemeral": False, "thinking": False}
    assert not interaction.last().private


async def test_other_interactions_are_left_alone(runtime: Runtime):
    for interaction in (member(custom_id="something-else"), member()):
        assert await handle_share(interaction, runtime) is False
        assert interaction.calls == []


async def test_a_click_that_fails_inside_the_bot_gets_a_private_apology(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
):
    client = create_bot(runtime).client
    interaction = member(custom_id=SHARE_PREFIX + "balance", guild_id=None)  # cannot be answered
    await client.on_interaction(interaction)  # type: ignore[attr-defined]
    (apology,) = interaction.calls
    assert apology.private
    assert apology.embed.title == "Something went wrong"
    assert "NoPrivateMessage" in caplog.text
