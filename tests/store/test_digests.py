"""Digest schedules, on SQLite and PostgreSQL: each due run is claimed by one process at a time,
a dead process's lease runs out, and a run moves its schedule on once (its post is a delivery:
tests/store/test_deliveries.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy import Connection, text

from bot.schedule import DigestTime, next_run
from bot.store import Database, WorkspaceStore
from bot.store.database import _alembic_config
from bot.store.digests import Claim, DigestStore
from tests.store.conftest import K1, store_with

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
MADRID_9 = DigestTime(time(9, 0), "Europe/Madrid")  # 08:00 UTC in winter
DUE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)


@pytest.fixture
def digests(database: Database) -> DigestStore:
    return DigestStore(database)


async def scheduled(digests: DigestStore, *channels: str, workspace: str = "slack:T1") -> None:
    for channel in channels:
        await digests.upsert(
            workspace, channel, MADRID_9, skip_empty=False, by="ada (U1)", by_id="U1", now=NOW
        )


async def claim_one(digests: DigestStore, owner: str, now: datetime = DUE) -> Claim:
    claims = await digests.claim_due(now, owner, lease=LEASE)
    assert len(claims) == 1, claims
    return claims[0]


async def test_upsert_creates_the_workspace_and_the_next_run(
    digests: DigestStore, store: WorkspaceStore
):
    weekdays = DigestTime(time(9, 30), "Asia/Kolkata", frozenset({0, 2, 4}))
    made = await digests.upsert(
        "discord:42", "C1", weekdays, skip_empty=True, by="ada (U1)", by_id="U1", now=NOW
    )
    assert await store.get_workspace("discord:42") is not None
    assert made.when == weekdays
    assert made.due_at == made.attempt_at == next_run(weekdays, NOW)
    assert made.due_at == datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # Wednesday 09:30 IST
    assert (made.enabled, made.skip_empty, made.attempts) == (True, True, 0)
    assert (made.created_by, made.created_by_id) == ("ada (U1)", "U1")
    assert await digests.get("discord:42", "C1") == made
    assert await digests.get("discord:42", "C2") is None


async def test_upsert_replaces_and_reenables(digests: DigestStore):
    await scheduled(digests, "C1")
    claim = await claim_one(digests, "A")
    assert await digests.disable(claim, "gone", now=DUE)
    later = DigestTime(time(18, 0), "UTC")
    again = await digests.upsert(
        "slack:T1", "C1", later, skip_empty=False, by="bob (U2)", by_id="U2", now=DUE
    )
    assert (again.enabled, again.disabled_reason) == (True, None)
    assert again.due_at == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    assert again.created_by_id == "U2"
    assert len(await digests.list_schedules()) == 1


async def test_list_and_remove(digests: DigestStore):
    await scheduled(digests, "C2", "C1")
    await scheduled(digests, "C9", workspace="discord:7")
    listed = [(s.workspace_id, s.channel_id) for s in await digests.list_schedules()]
    assert listed == [("discord:7", "C9"), ("slack:T1", "C1"), ("slack:T1", "C2")]
    assert [s.channel_id for s in await digests.list_schedules("slack:T1")] == ["C1", "C2"]
    assert await digests.remove("slack:T1", "C1") == 1
    assert await digests.remove("slack:T1", "C1") == 0
    assert await digests.remove("discord:7") == 1
    assert [s.channel_id for s in await digests.list_schedules()] == ["C2"]


async def test_only_due_enabled_unleased_schedules_are_claimed(digests: DigestStore):
    await scheduled(digests, "C1", "C2")
    await scheduled(digests, "C3", workspace="discord:7")
    assert await digests.claim_due(DUE - timedelta(seconds=1), "A", lease=LEASE) == []
    discord = await digests.claim_due(DUE, "A", lease=LEASE, limit=1, platforms=("discord",))
    assert [(c.schedule.channel_id, c.owner, c.lease_until) for c in discord] == [
        ("C3", "A", DUE + LEASE)
    ]
    one = await digests.claim_due(DUE, "B", lease=LEASE, limit=1)
    assert len(one) == 1
    rest = await digests.claim_due(DUE, "B", lease=LEASE, platforms=("slack",))
    assert sorted(c.schedule.channel_id for c in [*one, *rest]) == ["C1", "C2"]
    assert await digests.claim_due(DUE, "C", lease=LEASE) == []
    assert await digests.claim_due(DUE, "C", lease=LEASE, platforms=()) == []


async def test_an_expired_lease_is_reclaimed_by_another_process(digests: DigestStore):
    await scheduled(digests, "C1")
    await claim_one(digests, "A")
    assert await digests.claim_due(DUE + LEASE - timedelta(seconds=1), "B", lease=LEASE) == []
    taken = await claim_one(digests, "B", DUE + LEASE)
    assert taken.owner == "B"


async def test_a_disabled_schedule_is_not_claimed_and_is_disabled_once(digests: DigestStore):
    await scheduled(digests, "C1")
    claim = await claim_one(digests, "A")
    assert await digests.disable(claim, "The bot was removed from #C1.", now=DUE) is True
    assert await digests.disable(claim, "again", now=DUE) is False
    schedule = await digests.get("slack:T1", "C1")
    assert schedule is not None
    assert (schedule.enabled, schedule.disabled_reason) == (False, "The bot was removed from #C1.")
    assert await digests.claim_due(DUE + timedelta(days=2), "B", lease=LEASE) == []


async def test_finish_advances_once_and_keeps_the_first_outcome(digests: DigestStore):
    await scheduled(digests, "C1")
    claim = await claim_one(digests, "A")
    tomorrow = next_run(MADRID_9, DUE)
    await digests.finish(claim, "posted", now=DUE, next_due=tomorrow)
    await digests.finish(claim, "missed", now=DUE, next_due=tomorrow + timedelta(days=1))
    schedule = await digests.get("slack:T1", "C1")
    assert schedule is not None
    assert (schedule.due_at, schedule.attempt_at, schedule.attempts) == (tomorrow, tomorrow, 0)
    assert (schedule.last_outcome, schedule.last_run_at) == ("posted", DUE)
    assert await digests.claim_due(DUE + timedelta(hours=1), "B", lease=LEASE) == []
    assert len(await digests.claim_due(tomorrow, "B", lease=LEASE)) == 1


async def test_a_finish_after_losing_the_lease_does_not_advance(digests: DigestStore):
    await scheduled(digests, "C1")
    old = await claim_one(digests, "A")
    new = await claim_one(digests, "B", DUE + LEASE)
    tomorrow = next_run(MADRID_9, DUE)
    await digests.finish(old, "posted", now=DUE + LEASE, next_due=tomorrow)
    held = await digests.get("slack:T1", "C1")
    assert held is not None
    assert (held.due_at, held.last_outcome) == (DUE, None)
    await digests.finish(new, "posted", now=DUE + LEASE, next_due=tomorrow)
    moved = await digests.get("slack:T1", "C1")
    assert moved is not None
    assert moved.due_at == tomorrow


async def test_retry_later_keeps_the_run_and_frees_the_lease(digests: DigestStore):
    await scheduled(digests, "C1")
    claim = await claim_one(digests, "A")
    retry_at = DUE + timedelta(minutes=1)
    await digests.retry_later(claim, attempt_at=retry_at)
    assert await digests.claim_due(retry_at - timedelta(seconds=1), "B", lease=LEASE) == []
    again = await claim_one(digests, "B", retry_at)
    assert (again.schedule.due_at, again.schedule.attempts) == (DUE, 1)


async def test_a_schedule_changed_mid_run_keeps_its_new_time(digests: DigestStore):
    await scheduled(digests, "C1")
    claim = await claim_one(digests, "A")
    evening = DigestTime(time(18, 0), "UTC")
    changed = await digests.upsert(
        "slack:T1", "C1", evening, skip_empty=False, by="bob", by_id=None, now=DUE
    )
    await digests.finish(claim, "posted", now=DUE, next_due=next_run(MADRID_9, DUE))
    kept = await digests.get("slack:T1", "C1")
    assert kept is not None
    assert kept.due_at == changed.due_at == datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
    assert len(await digests.claim_due(kept.due_at, "B", lease=LEASE)) == 1


async def test_release_frees_only_the_owners_leases(digests: DigestStore):
    await scheduled(digests, "C1", "C2")
    await digests.claim_due(DUE, "A", lease=LEASE, limit=1)
    await digests.claim_due(DUE, "B", lease=LEASE, limit=1)
    assert await digests.release("A") == 1
    assert await digests.release("A") == 0
    assert [c.owner for c in await digests.claim_due(DUE, "C", lease=LEASE)] == ["C"]


async def _same_database(database: Database) -> Database:
    """Another Database (its own engine and pool) on the same SQLite file or PostgreSQL schema."""
    url = database.engine.url.render_as_string(hide_password=False)
    if database.dialect == "sqlite":
        return await Database.open(url)
    async with database.engine.connect() as connection:
        schema = await connection.scalar(text("SELECT current_schema()"))
    return await Database.open(url, schema=schema)


@pytest.fixture
async def three_processes(database: Database) -> AsyncIterator[list[DigestStore]]:
    others = [await _same_database(database) for _ in range(2)]
    try:
        yield [DigestStore(database), *(DigestStore(other) for other in others)]
    finally:
        for other in others:
            await other.aclose()


async def test_concurrent_claimers_never_claim_the_same_schedule(
    three_processes: list[DigestStore],
):
    first = three_processes[0]
    await scheduled(first, *(f"C{n:02}" for n in range(30)))

    async def claimer(digests: DigestStore, owner: str) -> list[str]:
        mine: list[str] = []
        while claims := await digests.claim_due(DUE, owner, lease=LEASE, limit=4):
            mine.extend(c.schedule.channel_id for c in claims)
            await asyncio.sleep(0)
        return mine

    claimed = await asyncio.gather(
        *(claimer(digests, f"P{n}") for n, digests in enumerate(three_processes))
    )
    every = [channel for mine in claimed for channel in mine]
    assert sorted(every) == [f"C{n:02}" for n in range(30)]  # each exactly once
    assert await first.claim_due(DUE + LEASE - timedelta(seconds=1), "Q", lease=LEASE) == []


def _upgrade_to_0002(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "0002")


async def test_0003_upgrades_a_0002_database_and_keeps_its_keys(empty_database: Database):
    async with empty_database.engine.begin() as connection:
        await connection.run_sync(_upgrade_to_0002)
    key = "VENICE_ADMIN_KEY_" + "migration0003abcdef"
    await store_with(empty_database, K1).save_credential(
        "slack:T1", SecretStr(key), key_type="admin", set_by="U1", verified_at=NOW
    )
    assert await empty_database.pending_migrations()

    await empty_database.upgrade()
    await empty_database.upgrade()

    assert await empty_database.is_current()
    async with empty_database.engine.connect() as connection:
        versions = (await connection.scalars(text("SELECT version_num FROM alembic_version"))).all()
    assert list(versions) == [ScriptDirectory.from_config(_alembic_config()).get_current_head()]
    loaded = await store_with(empty_database, K1).load_key("slack:T1")
    assert loaded is not None
    assert loaded.get_secret_value() == key
    digests = DigestStore(empty_database)
    await scheduled(digests, "C1")
    assert len(await digests.claim_due(DUE, "A", lease=LEASE)) == 1
