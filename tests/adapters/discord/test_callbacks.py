"""Each /venice subcommand, driven through its callback with a stand-in Interaction, against a
Runtime on the Venice simulator and a real database: what it sends, to whom, and how."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from adapters.discord.messages import CHART_PREFIX, SHARE_PREFIX
from adapters.discord.render import card_embed
from bot.command_spec import Caller
from bot.registry import COMMANDS
from bot.runtime import Runtime
from tests.adapters.discord.conftest import connect_directly, subcommand
from tests.adapters.discord.standin import Sent, StandInInteraction, manager, member
from tests.asking import parsed

NO_MENTIONS = {"parse": []}
# Subcommands that answer through a modal or a confirmation (tested in their own files).
OWN_FLOW = {"connect", "disconnect"}

# Each subcommand with the options a member might give, and the command text the core must see.
CASES: list[tuple[str, dict[str, Any], str]] = [
    ("balance", {}, "balance"),
    ("usage", {}, "usage"),
    ("usage", {"period": "30d"}, "usage 30d"),
    ("top-keys", {"period": "30d", "n": 5}, "top-keys 30d 5"),
    ("top-keys", {"n": 3}, "top-keys 3"),
    ("top-models", {"period": "last-month", "n": 20}, "top-models last-month 20"),
    ("status", {}, "status"),
    ("access", {}, "access"),
    ("help", {}, "help"),
    ("help", {"command": "top-keys"}, "help top-keys"),
    ("digest", {}, "digest"),
    ("digest", {"action": "status"}, "digest status"),
    ("alert", {}, "alert"),
    ("alert", {"action": "list"}, "alert list"),
]


def test_the_cases_cover_every_subcommand_without_a_flow_of_its_own():
    assert {name for name, _, _ in CASES} | OWN_FLOW == set(COMMANDS)


async def run(group: app_commands.Group, name: str, interaction: Any, **options: Any) -> Sent:
    await subcommand(group, name).callback(interaction, **options)  # type: ignore[arg-type]
    return interaction.last()


def assert_deferred_privately_then_followed_up(interaction: StandInInteraction) -> Sent:
    assert interaction.methods() == ["defer", "followup.send"]
    assert interaction.calls[0].kwargs == {"ephemeral": True, "thinking": True}
    reply = interaction.last()
    assert reply.private
    assert reply.allowed_mentions() == NO_MENTIONS
    return reply


@pytest.mark.parametrize(("name", "options", "text"), CASES, ids=[c[2] for c in CASES])
async def test_each_subcommand_answers_privately_what_the_core_answers(
    runtime: Runtime, group: app_commands.Group, name: str, options: dict[str, Any], text: str
):
    interaction = manager()
    await connect_directly(runtime, interaction.workspace_id)
    reply = await run(group, name, interaction, **options)
    assert_deferred_privately_then_followed_up(interaction)
    admin = Caller("someone", is_admin=True)
    expected = await runtime.ask(parsed(text), workspace_id=interaction.workspace_id, caller=admin)
    assert expected.outcome == "answered", expected.card
    assert reply.embed.title == card_embed(expected.card).title
    spec = COMMANDS[name]
    # Billing reports carry Share (with the exact command text), and Chart when they have chart
    # data (usage); help, status, access do not.
    buttons = [SHARE_PREFIX + text] if spec.shareable else []
    if spec.shareable and expected.card.chart is not None:
        buttons.append(CHART_PREFIX + text)
    assert reply.custom_ids() == buttons


async def test_a_bad_period_is_answered_privately_by_the_core_without_share(
    runtime: Runtime, group: app_commands.Group
):
    interaction = member()
    await connect_directly(runtime, interaction.workspace_id)
    reply = await run(group, "usage", interaction, period="fortnight")
    assert_deferred_privately_then_followed_up(interaction)
    expected = await runtime.ask(parsed("usage fortnight"), workspace_id=interaction.workspace_id)
    assert expected.outcome == "invalid"
    assert reply.embed.title == card_embed(expected.card).title
    assert reply.custom_ids() == []


async def test_without_a_key_the_reply_says_how_to_connect_one(
    runtime: Runtime, group: app_commands.Group
):
    interaction = member()
    reply = await run(group, "balance", interaction)
    assert_deferred_privately_then_followed_up(interaction)
    assert reply.custom_ids() == []
    assert f"keys set {interaction.workspace_id}" in str(reply.embed.to_dict())


async def test_the_read_policy_applies_to_members_without_manage_server(
    runtime: Runtime, group: app_commands.Group
):
    admin = manager()
    await connect_directly(runtime, admin.workspace_id)
    await run(group, "access", admin, who="admins")
    assert "Only workspace admins" in str(admin.last().embed.to_dict())

    reader = member()
    refused = await run(group, "top-keys", reader, period="7d")
    assert_deferred_privately_then_followed_up(reader)
    assert refused.embed.title == "Admins only"
    assert refused.custom_ids() == []

    allowed = await run(group, "top-keys", manager(), period="7d")
    assert allowed.custom_ids() == [SHARE_PREFIX + "top-keys 7d"]


async def test_each_server_is_its_own_workspace(runtime: Runtime, group: app_commands.Group):
    here = member(guild_id=111)
    await connect_directly(runtime, "discord:111")
    assert (await run(group, "balance", here)).custom_ids() == [SHARE_PREFIX + "balance"]
    elsewhere = await run(group, "balance", member(guild_id=222))
    assert elsewhere.custom_ids() == []  # no key connected in server 222


async def test_outside_a_server_nothing_is_deferred_and_the_tree_explains(
    runtime: Runtime, group: app_commands.Group
):
    interaction = member(guild_id=None)
    with pytest.raises(app_commands.NoPrivateMessage):
        await run(group, "balance", interaction)
    assert interaction.calls == []


async def test_digest_on_schedules_the_channel_it_was_typed_in(
    runtime: Runtime, group: app_commands.Group
):
    from bot.store.digests import DigestStore
    from tests.adapters.discord.standin import CHANNEL_ID

    interaction = manager()
    options = {"action": "on", "time": "8:30", "timezone": "europe/madrid", "days": "mon-fri",
               "skip_empty": True}  # fmt: skip
    reply = await run(group, "digest", interaction, **options)
    assert_deferred_privately_then_followed_up(interaction)
    shown = str(reply.embed.to_dict())
    assert "Daily digest on in this channel: 08:30 Europe/Madrid, Mon–Fri" in shown
    opened = await runtime.open_store()
    [schedule] = await DigestStore(opened.database).list_schedules(interaction.workspace_id)
    assert schedule.channel_id == str(CHANNEL_ID)
    assert schedule.skip_empty
    assert schedule.created_by_id == str(interaction.user.id)

    refused = await run(group, "digest", member(), action="off")
    assert refused.embed.title == "Admins only"
    assert await DigestStore(opened.database).list_schedules(interaction.workspace_id)
