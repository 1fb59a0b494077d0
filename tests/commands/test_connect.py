"""The connect flow against the simulator: only a key Venice accepts as ADMIN is stored, and the
key never shows up in a card, its data, or the logs."""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from bot.command_spec import Caller, CommandContext
from bot.deadline import Deadline
from bot.key_connection import ConnectResult, connect_key
from bot.registry import COMMANDS
from bot.store import WorkspaceStore
from bot.venice.client import VeniceClient, make_http_client
from tests.asking import answer_text
from tests.commands.builders import card_strings
from venice_simulator.server import RunningSimulator

WORKSPACE = "slack:T0CONNECT"
ADMIN = Caller("slack:U1", "ada", is_admin=True)
MEMBER = Caller("slack:U2", "bob")


def canary(prefix: str = "sim-admin-team-") -> str:
    return prefix + secrets.token_hex(8)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = make_http_client(connect_timeout=1, read_timeout=2)
    try:
        yield client
    finally:
        await client.aclose()


def venice_at(http: httpx.AsyncClient, base_url: str) -> VeniceClient:
    # One attempt: a refused key is never retried anyway, and a failing Venice should not make
    # the test wait through backoff.
    return VeniceClient(http, base_url, read_timeout=2, max_attempts=1)


async def connect(
    store: WorkspaceStore,
    venice: VeniceClient,
    key: str,
    caller: Caller = ADMIN,
    caplog: pytest.LogCaptureFixture | None = None,
) -> ConnectResult:
    result = await connect_key(store, venice, WORKSPACE, SecretStr(key), caller, Deadline.after(3))
    shown = " ".join(card_strings(result.card)) + json.dumps(result.card.to_dict())
    assert key.strip() not in shown
    if caplog is not None:
        assert key.strip() not in caplog.text
    return result


async def test_an_admin_key_is_checked_stored_and_described(
    workspace_store: WorkspaceStore,
    simulator: RunningSimulator,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.DEBUG)
    key = canary()
    result = await connect(
        workspace_store, venice_at(http, simulator.base_url), f"  {key}\n", caplog=caplog
    )
    assert result.ok
    assert result.fingerprint == key[-4:]
    assert f"…{key[-4:]}" in (result.card.summary or "")
    assert [call.path for call in simulator.simulator.calls] == ["/billing/balance"]
    # Stored stripped, under this workspace only.
    assert await workspace_store.load_key(WORKSPACE) == SecretStr(key)
    info = await workspace_store.credential_info(WORKSPACE)
    assert info is not None
    assert (info.key_type, info.set_by) == ("admin", "ada (slack:U1)")

    status = await answer_text("status", CommandContext(
        commands=COMMANDS,
        now=datetime.now(UTC), deadline=Deadline.after(5), workspace_id=WORKSPACE, caller=MEMBER,
        keys=workspace_store,
    ))  # fmt: skip
    assert status.outcome == "answered"
    labels = {field.label: field.value for field in status.card.fields}
    assert labels["Fingerprint"] == f"…{key[-4:]}"
    assert labels["Set by"] == "ada (slack:U1)"
    assert key not in json.dumps(status.card.to_dict())


async def test_a_second_key_replaces_the_first(
    workspace_store: WorkspaceStore, simulator: RunningSimulator, http: httpx.AsyncClient
):
    venice = venice_at(http, simulator.base_url)
    first, second = canary(), canary("sim-admin-usd-")
    assert (await connect(workspace_store, venice, first)).ok
    result = await connect(workspace_store, venice, second)
    assert result.ok
    assert "replaces" in (result.card.summary or "")
    assert await workspace_store.load_key(WORKSPACE) == SecretStr(second)
    actions = [entry.action for entry in await workspace_store.audit_log(WORKSPACE)]
    assert actions == ["connect", "replace"]


@pytest.mark.parametrize(
    ("key", "title", "says"),
    [
        ("sim-inference-" + "0a1b2c3d4e5f", "Admin key required", "Settings > API keys"),
        ("not-a-venice-key-" + "5e6f7a8b", "Venice rejected the key", "not stored"),
        ("has a space-" + "9c8d7e6f", "Venice rejected the key", "not stored"),
    ],
)
async def test_keys_venice_refuses_are_not_stored(
    workspace_store: WorkspaceStore,
    simulator: RunningSimulator,
    http: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    key: str,
    title: str,
    says: str,
):
    caplog.set_level(logging.DEBUG)
    result = await connect(workspace_store, venice_at(http, simulator.base_url), key, caplog=caplog)
    assert not result.ok
    assert result.card.title == title
    assert result.card.kind == "error"
    assert says in (result.card.summary or "")
    assert await workspace_store.credential_info(WORKSPACE) is None
    assert await workspace_store.list_workspaces() == []


async def test_inference_key_refusal_says_how_to_make_an_admin_key(
    workspace_store: WorkspaceStore, simulator: RunningSimulator, http: httpx.AsyncClient
):
    result = await connect(workspace_store, venice_at(http, simulator.base_url), "sim-inference")
    summary = result.card.summary or ""
    assert "INFERENCE" in summary
    assert "type Admin" in summary


async def test_venice_failing_refuses_with_try_again(
    workspace_store: WorkspaceStore, simulator: RunningSimulator, http: httpx.AsyncClient
):
    simulator.simulator.faults.fail_next(503, times=3)
    result = await connect(workspace_store, venice_at(http, simulator.base_url), canary())
    assert not result.ok
    assert "Try again in a minute" in (result.card.summary or "")
    assert await workspace_store.credential_info(WORKSPACE) is None


async def test_venice_unreachable_refuses_with_try_again(
    workspace_store: WorkspaceStore, http: httpx.AsyncClient
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"
    result = await connect(workspace_store, venice_at(http, closed), canary())
    assert not result.ok
    assert "Try again in a minute" in (result.card.summary or "")
    assert await workspace_store.credential_info(WORKSPACE) is None


async def test_a_member_cannot_connect_and_venice_is_not_asked(
    workspace_store: WorkspaceStore, simulator: RunningSimulator, http: httpx.AsyncClient
):
    result = await connect(workspace_store, venice_at(http, simulator.base_url), canary(), MEMBER)
    assert not result.ok
    assert result.card.summary == "Only workspace admins can connect a Venice key; ask one of them."
    assert simulator.simulator.calls == []
    assert await workspace_store.credential_info(WORKSPACE) is None


@pytest.mark.parametrize(
    "text",
    [
        "connect {key}",
        "/venice connect {key}",
        "CONNECT   {key} please",
        "connect {key} " + "x" * 600,
    ],
)
async def test_a_key_typed_after_connect_is_refused_and_never_quoted(
    text: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    key = "VENICE_" + "ADMIN_KEY_" + secrets.token_hex(12)
    ctx = CommandContext(
        commands=COMMANDS, now=datetime.now(UTC), deadline=Deadline.after(5), caller=MEMBER
    )
    reply = await answer_text(text.format(key=key), ctx)
    assert reply.outcome == "invalid"
    assert reply.card.kind == "error"
    assert reply.card.summary == (
        "Do not paste keys into commands: it was not stored. If it was a real key, revoke it in "
        "Venice and run `connect` with nothing after it."
    )
    assert key not in json.dumps(reply.card.to_dict())
    assert key not in caplog.text


async def test_a_key_typed_as_a_command_is_not_quoted_back():
    key = "VENICE_" + "ADMIN_KEY_" + secrets.token_hex(12)
    reply = await answer_text(
        key, CommandContext(commands=COMMANDS, now=datetime.now(UTC), deadline=Deadline.after(5))
    )
    assert reply.outcome == "invalid"
    assert key[:20] not in json.dumps(reply.card.to_dict())


@pytest.mark.parametrize(("workspace", "says"), [(WORKSPACE, f"keys set {WORKSPACE}"),
                                                 (None, "keys set WORKSPACE")])  # fmt: skip
async def test_connect_alone_asks_the_adapter_for_the_key_privately(workspace, says):
    ctx = CommandContext(
        commands=COMMANDS,
        now=datetime.now(UTC),
        deadline=Deadline.after(5),
        workspace_id=workspace,
        caller=ADMIN,
    )
    reply = await answer_text("connect", ctx)
    assert reply.outcome == "answered"
    assert reply.card.kind == "connect"
    assert reply.card.data["secret"] == "venice_key"
    assert says in (reply.card.summary or "")
