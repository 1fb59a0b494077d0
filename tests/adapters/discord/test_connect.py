"""/venice connect (a modal, checked by the core's connect flow) and /venice disconnect (asks
first), with a real database: what is stored, what is refused, and that a key is never shown.
Both are answered by the one path every subcommand takes: the card's SecretPrompt opens the
modal, its Confirm puts the buttons under the question."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from adapters.discord.confirm import ConfirmView
from adapters.discord.connect_modal import ConnectModal
from adapters.slack.tables import slack_metadata
from bot.runtime import Runtime
from bot.store.tables import metadata
from tests.adapters.discord.conftest import (
    admin_key,
    connect_directly,
    inference_key,
    subcommand,
)
from tests.adapters.discord.standin import StandInInteraction, manager, member


async def open_modal(group: app_commands.Group, interaction: Any) -> ConnectModal:
    await subcommand(group, "connect").callback(interaction)  # type: ignore[call-arg]
    # The modal is the first and only response: a defer before it would make Discord refuse it.
    assert interaction.methods() == ["send_modal"]
    modal = interaction.calls[0].kwargs["modal"]
    assert isinstance(modal, ConnectModal)
    return modal


async def submit(modal: ConnectModal, key: str, interaction: StandInInteraction) -> None:
    # The submitted components, fed to the modal the way discord.py does on MODAL_SUBMIT.
    text_input = {"type": 4, "custom_id": modal.key.custom_id, "value": key}
    modal._refresh(interaction, [{"type": 18, "component": text_input}], {})  # type: ignore[arg-type, list-item]
    await modal.on_submit(interaction)  # type: ignore[arg-type]


async def everything_stored(runtime: Runtime) -> str:
    """Every row of every table, as text."""
    database = (await runtime.open_store()).database
    rows: list[str] = []
    async with database.engine.connect() as connection:
        for table in [*metadata.sorted_tables, *slack_metadata.sorted_tables]:
            rows.extend(repr(row) for row in await connection.execute(select(table)))
    return "\n".join(rows)


def database_file(runtime: Runtime) -> Path | None:
    url = runtime.opened.database.engine.url if runtime.opened else None
    return Path(url.database) if url is not None and url.get_backend_name() == "sqlite" else None


async def test_the_modal_has_one_input_that_says_it_is_not_masked(
    runtime: Runtime, group: app_commands.Group
):
    modal = await open_modal(group, manager())
    (label,) = modal.children
    assert isinstance(label, discord.ui.Label)
    assert len(label.text) <= 45
    assert label.description is not None
    assert "not masked" in label.description.lower()
    assert len(label.description) <= 100
    assert label.component is modal.key
    assert modal.key.style is discord.TextStyle.short
    assert modal.key.required


async def test_an_inference_key_is_refused_privately_and_nothing_is_stored(
    runtime: Runtime, group: app_commands.Group, caplog: pytest.LogCaptureFixture
):
    key = inference_key()
    opener = manager()
    modal = await open_modal(group, opener)
    submitter = manager()
    with caplog.at_level(logging.DEBUG):
        await submit(modal, key, submitter)
    assert submitter.methods() == ["defer", "followup.send"]
    assert submitter.calls[0].kwargs == {"ephemeral": True, "thinking": True}
    reply = submitter.last()
    assert reply.private
    assert reply.allowed_mentions() == {"parse": []}
    assert reply.embed.title == "Admin key required"
    store = (await runtime.open_store()).store
    assert await store.credential_info(submitter.workspace_id) is None
    assert key not in submitter.everything_sent() + opener.everything_sent()
    assert key not in caplog.text


async def test_an_admin_key_is_stored_encrypted_and_never_shown(
    runtime: Runtime, group: app_commands.Group, caplog: pytest.LogCaptureFixture
):
    key = admin_key()
    modal = await open_modal(group, manager())
    submitter = manager()
    with caplog.at_level(logging.DEBUG):
        await submit(modal, f"  {key}\n", submitter)  # pasted with blanks around it
    reply = submitter.last()
    assert reply.private
    assert reply.embed.title == "Venice key connected"
    # What to do next, as typed here: be warned before the money runs out.
    assert "`/venice alert action:on rule:runway below 3d`" in str(reply.embed.to_dict())
    assert key[-4:] in str(reply.embed.to_dict())  # named by its last 4 characters only
    assert key not in submitter.everything_sent()
    assert key not in caplog.text
    store = (await runtime.open_store()).store
    assert (await store.load_key(submitter.workspace_id)).get_secret_value() == key  # type: ignore[union-attr]
    assert key not in await everything_stored(runtime)
    if (path := database_file(runtime)) is not None:
        assert key.encode() not in path.read_bytes()
    # And the server's billing commands now use it.
    balance = member()
    await subcommand(group, "balance").callback(balance)  # type: ignore[call-arg]
    assert balance.last().custom_ids() == ["venice:share:balance"]


async def test_a_member_who_lost_manage_server_before_submitting_is_refused(
    runtime: Runtime, group: app_commands.Group
):
    modal = await open_modal(group, manager())
    submitter = member()  # the core's connect flow checks the submitter again
    await submit(modal, admin_key(), submitter)
    assert submitter.last().embed.title == "Admins only"
    store = (await runtime.open_store()).store
    assert await store.credential_info(submitter.workspace_id) is None


async def test_an_empty_submission_stores_nothing(runtime: Runtime, group: app_commands.Group):
    modal = await open_modal(group, manager())
    submitter = manager()
    await submit(modal, "   ", submitter)
    assert submitter.last().private
    assert submitter.last().embed.title == "No key given"


# -- disconnect -----------------------------------------------------------------------------


async def ask_disconnect(group: app_commands.Group, interaction: Any) -> ConfirmView:
    await subcommand(group, "disconnect").callback(interaction)  # type: ignore[call-arg]
    # Answered like every subcommand: deferred privately, then the question as the follow-up.
    assert interaction.methods() == ["defer", "followup.send"]
    question = interaction.last()
    assert question.private
    assert question.allowed_mentions() == {"parse": []}
    assert question.embed.title == "Delete this workspace's Venice key?"
    view = question.kwargs["view"]
    assert isinstance(view, ConfirmView)
    return view


def button(view: ConfirmView, label: str) -> discord.ui.Button[ConfirmView]:
    (found,) = [b for b in view.children if isinstance(b, discord.ui.Button) and b.label == label]
    return found


async def test_disconnect_asks_first_and_deletes_only_when_confirmed(
    runtime: Runtime, group: app_commands.Group
):
    admin = manager()
    await connect_directly(runtime, admin.workspace_id)
    store = (await runtime.open_store()).store
    view = await ask_disconnect(group, admin)
    assert await store.credential_info(admin.workspace_id) is not None  # nothing deleted yet

    press = manager()
    assert await view.interaction_check(press)  # the same member (stand-ins share the id)
    await button(view, "Delete the key").callback(press)
    assert press.methods() == ["defer", "edit_original_response"]
    edited = press.last()
    assert edited.embed.title == "Venice key disconnected"
    assert edited.kwargs["view"] is None  # the buttons are gone
    assert await store.credential_info(admin.workspace_id) is None


async def test_cancel_keeps_the_key(runtime: Runtime, group: app_commands.Group):
    admin = manager()
    await connect_directly(runtime, admin.workspace_id)
    view = await ask_disconnect(group, admin)
    press = manager()
    await button(view, "Cancel").callback(press)
    assert press.methods() == ["edit_message"]
    assert press.last().embed.title == "Nothing was deleted"
    store = (await runtime.open_store()).store
    assert await store.credential_info(admin.workspace_id) is not None


async def test_only_the_member_who_asked_may_confirm(runtime: Runtime, group: app_commands.Group):
    admin = manager()
    await connect_directly(runtime, admin.workspace_id)
    view = await ask_disconnect(group, admin)
    assert not await view.interaction_check(manager(user_id=77))


async def test_disconnect_without_a_key_says_so_instead_of_asking(
    runtime: Runtime, group: app_commands.Group
):
    admin = manager()
    await subcommand(group, "disconnect").callback(admin)  # type: ignore[call-arg]
    assert admin.methods() == ["defer", "followup.send"]
    assert admin.last().embed.title == "No Venice key to remove"
    assert "view" not in admin.last().kwargs
