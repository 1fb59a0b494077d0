"""`Runtime.ask` in a workspace: its stored key, a key that can no longer be read, and what an
answer records about the key (which `status` then shows)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from bot.command_spec import Caller
from bot.runtime import Runtime
from bot.secrets import generate_master_key
from bot.settings import Settings
from bot.store.tables import venice_credentials
from tests.asking import parsed
from venice_simulator import Simulator
from venice_simulator.server import RunningSimulator, start_in_thread

ADMIN = Caller("console:ada", "ada", is_admin=True)
UNREADABLE = "This workspace's Venice key can no longer be read; an admin should connect it again."


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    frozen = datetime.now(UTC)
    with start_in_thread(Simulator(clock=lambda: frozen)) as running:
        yield running


@pytest.fixture
async def runtime(tmp_path: Path, simulator: RunningSimulator) -> AsyncIterator[Runtime]:
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        VENICE_BOT_MASTER_KEYS=generate_master_key("k1").encoded(),
        VENICE_API_BASE=simulator.base_url,
        VENICE_BOT_REQUEST_BUDGET=5,
    )
    runtime = Runtime.build(settings)
    try:
        yield runtime
    finally:
        await runtime.aclose()


async def store_key(runtime: Runtime, workspace_id: str, key: str) -> None:
    store = (await runtime.open_store()).store
    await store.save_credential(
        workspace_id, SecretStr(key), key_type="admin", set_by="test", verified_at=datetime.now(UTC)
    )


async def test_each_workspace_answers_with_its_own_key(runtime: Runtime):
    await store_key(runtime, "slack:TTEAM", "sim-admin-team-1234")
    await store_key(runtime, "slack:TEMPTY", "sim-admin-empty-5678")
    team = await runtime.ask(parsed("balance"), workspace_id="slack:TTEAM", caller=ADMIN)
    empty = await runtime.ask(parsed("balance"), workspace_id="slack:TEMPTY", caller=ADMIN)
    assert (team.outcome, empty.outcome) == ("answered", "answered")
    assert team.card.data["usd"] != empty.card.data["usd"]


async def test_a_ciphertext_moved_to_another_workspace_is_unreadable_there(runtime: Runtime):
    await store_key(runtime, "slack:TA", "sim-admin-team-aaaa")
    await store_key(runtime, "slack:TB", "sim-admin-usd-bbbb")
    database = (await runtime.open_store()).database
    async with database.transaction() as connection:
        blob = await connection.scalar(
            select(venice_credentials.c.ciphertext).where(
                venice_credentials.c.workspace_id == "slack:TA"
            )
        )
        await connection.execute(
            update(venice_credentials)
            .where(venice_credentials.c.workspace_id == "slack:TB")
            .values(ciphertext=blob)
        )
    reply = await runtime.ask(parsed("usage 7d"), workspace_id="slack:TB", caller=ADMIN)
    assert reply.outcome == "failed"
    assert reply.card.summary == UNREADABLE
    assert "Traceback" not in (reply.card.summary or "")
    # The workspace can still be looked after: status, and a new connect.
    status = await runtime.ask(parsed("status"), workspace_id="slack:TB", caller=ADMIN)
    assert status.outcome == "answered"
    reply = await runtime.ask(parsed("balance"), workspace_id="slack:TA", caller=ADMIN)
    assert reply.outcome == "answered"


async def test_answers_record_when_the_key_last_worked_and_why_it_failed(runtime: Runtime):
    store = (await runtime.open_store()).store
    await store_key(runtime, "slack:TOK", "sim-admin-team-okok")
    await store_key(runtime, "slack:TBAD", "revoked-key-" + "0123")
    ok = await runtime.ask(parsed("balance"), workspace_id="slack:TOK", caller=ADMIN)
    info = await store.credential_info("slack:TOK")
    assert info is not None
    assert info.last_verified_at == ok.card.footer.as_of

    bad = await runtime.ask(parsed("balance"), workspace_id="slack:TBAD", caller=ADMIN)
    assert bad.outcome == "failed"
    status = await runtime.ask(parsed("status"), workspace_id="slack:TBAD", caller=ADMIN)
    fields = {field.label: field.value for field in status.card.fields}
    assert fields["Last error"] == "Venice rejected the key (revoked, mistyped or expired)."


async def test_a_workspace_without_a_key_is_told_how_to_connect_one(runtime: Runtime):
    reply = await runtime.ask(parsed("balance"), workspace_id="discord:42", caller=ADMIN)
    assert reply.outcome == "failed"
    assert "venice-bot keys set discord:42" in (reply.card.summary or "")
