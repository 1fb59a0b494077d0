"""Delivery records, on SQLite and PostgreSQL: one per (workspace, channel, kind, occurrence),
handed over to whoever holds its run while unfinished, never reopened once done, and each step
recorded as it happened; migration 0004 carries the old digest records over."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, insert, text

from bot.store import Database
from bot.store.database import _alembic_config
from bot.store.deliveries import DeliveryId, DeliveryStore, DeliveryTaken
from bot.store.rows import ensure_workspace_row
from bot.store.tables import digest_schedules

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
DIGEST = DeliveryId("slack:T1", "C1", "digest", "2026-11-30")


@pytest.fixture
async def deliveries(database: Database) -> DeliveryStore:
    async with database.transaction() as connection:
        await ensure_workspace_row(connection, "slack:T1")
    return DeliveryStore(database)


def test_a_delivery_id_reads_as_its_four_parts():
    assert str(DIGEST) == "digest:slack:T1:C1:2026-11-30"


async def test_a_new_delivery_is_claimed_by_its_first_owner(deliveries: DeliveryStore):
    begun = await deliveries.begin(DIGEST, "A", now=NOW)
    assert (begun.state, begun.owner, begun.claimed_at, begun.chart) == ("claimed", "A", NOW, None)
    assert not begun.done
    assert await deliveries.get(DIGEST) == begun
    assert await deliveries.get(DeliveryId("slack:T1", "C1", "digest", "2026-12-01")) is None


async def test_each_step_is_recorded_and_a_done_delivery_is_never_reopened(
    deliveries: DeliveryStore,
):
    began = NOW + timedelta(seconds=3)
    record = await deliveries.sending(await deliveries.begin(DIGEST, "A", now=NOW), began=began)
    assert (record.state, record.sending_at) == ("sending", began)
    record = await deliveries.sent(
        record, "1700.1", chart="sending", outcome="posted", late=True, now=NOW
    )
    assert (record.state, record.message_id, record.chart, record.late) == (
        "sent", "1700.1", "sending", True,
    )  # fmt: skip
    assert record.finished_at is None
    assert not record.done
    record = await deliveries.chart_settled(record, "sent", file_id="F1", now=LATER)
    assert (record.chart, record.chart_id, record.finished_at, record.done) == (
        "sent", "F1", LATER, True,
    )  # fmt: skip

    # Another process that holds the next claim finds it done, and left as it is.
    again = await deliveries.begin(DIGEST, "B", now=LATER)
    assert again == record
    with pytest.raises(DeliveryTaken):
        await deliveries.sending(again, began=LATER)


async def test_an_unfinished_delivery_is_handed_over_and_its_old_owner_may_not_post(
    deliveries: DeliveryStore,
):
    stale = await deliveries.sending(await deliveries.begin(DIGEST, "A", now=NOW), began=NOW)
    taken = await deliveries.begin(DIGEST, "B", now=LATER)
    assert (taken.owner, taken.state, taken.sending_at) == ("B", "sending", NOW)
    with pytest.raises(DeliveryTaken):
        await deliveries.sending(stale, began=LATER)
    # A post that happened is recorded whoever owns it now.
    recorded = await deliveries.sent(stale, "1700.2", chart=None, outcome="posted", late=False,
                                     now=LATER)  # fmt: skip
    assert (recorded.state, recorded.message_id, recorded.done) == ("sent", "1700.2", True)


async def test_a_refused_post_goes_back_to_claimed(deliveries: DeliveryStore):
    sending = await deliveries.sending(await deliveries.begin(DIGEST, "A", now=NOW), began=NOW)
    back = await deliveries.unsent(sending)
    assert back.state == "claimed"
    assert not back.done


@pytest.mark.parametrize(("state", "outcome"), [("skipped", "skipped"), ("failed", "missed")])
async def test_a_delivery_that_posts_nothing_is_settled(
    deliveries: DeliveryStore, state: str, outcome: str
):
    begun = await deliveries.begin(DIGEST, "A", now=NOW)
    settled = await deliveries.settle(begun, state, outcome=outcome, now=LATER)  # type: ignore[arg-type]
    assert (settled.state, settled.outcome, settled.finished_at, settled.done) == (
        state, outcome, LATER, True,
    )  # fmt: skip
    # Settling again changes nothing: the first end stands.
    assert (await deliveries.settle(settled, "failed", outcome="x", now=NOW)).outcome == outcome


async def test_a_chart_left_pending_keeps_the_delivery_open(deliveries: DeliveryStore):
    record = await deliveries.sending(await deliveries.begin(DIGEST, "A", now=NOW), began=NOW)
    record = await deliveries.sent(record, "1", chart="sending", outcome="posted", late=False,
                                   now=NOW)  # fmt: skip
    record = await deliveries.chart_settled(record, "pending", file_id=None, now=NOW)
    assert (record.state, record.chart, record.done) == ("sent", "pending", False)
    handed = await deliveries.begin(DIGEST, "B", now=LATER)
    assert (handed.owner, handed.chart) == ("B", "pending")
    handed = await deliveries.chart_sending(handed, began=LATER)
    assert (handed.chart, handed.sending_at) == ("sending", LATER)


async def test_three_processes_beginning_at_once_share_one_record(database: Database):
    async with database.transaction() as connection:
        await ensure_workspace_row(connection, "slack:T1")
    stores = [DeliveryStore(database) for _ in range(3)]
    begun = await asyncio.gather(
        *(store.begin(DIGEST, f"P{n}", now=NOW) for n, store in enumerate(stores))
    )
    assert {record.state for record in begun} == {"claimed"}
    final = await stores[0].get(DIGEST)
    assert final is not None
    assert final.owner in {"P0", "P1", "P2"}
    async with database.engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM deliveries"))
    assert count == 1


def _upgrade_to(revision: str):  # type: ignore[no-untyped-def]
    def run(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), revision)

    return run


def _downgrade_to(revision: str):  # type: ignore[no-untyped-def]
    def run(connection: Connection) -> None:
        command.downgrade(_alembic_config(connection), revision)

    return run


async def test_0004_carries_every_digest_record_over(empty_database: Database):
    async with empty_database.engine.begin() as connection:
        await connection.run_sync(_upgrade_to("0003"))
        await ensure_workspace_row(connection, "slack:T1")
        rows = [
            ("posted", "1700.1", True),
            ("notified", "1700.2", False),
            ("skipped", None, False),
            ("missed", None, False),
            ("posting", None, False),
            ("waiting", None, False),
        ]
        for day, (outcome, message, late) in enumerate(rows, start=1):
            await connection.execute(
                text(
                    "INSERT INTO digest_deliveries (workspace_id, channel_id, local_date, "
                    "outcome, owner, started_at, finished_at, message_id, late) VALUES "
                    "(:w, 'C1', :d, :o, 'old', :s, NULL, :m, :l)"
                ),
                {"w": "slack:T1", "d": date(2026, 11, day), "o": outcome,
                 "s": NOW.replace(tzinfo=None) if empty_database.dialect == "sqlite" else NOW,
                 "m": message, "l": late},
            )  # fmt: skip
    await empty_database.upgrade()
    assert await empty_database.is_current()
    store = DeliveryStore(empty_database)
    found = {}
    for day in range(1, 7):
        record = await store.get(DeliveryId("slack:T1", "C1", "digest", f"2026-11-0{day}"))
        assert record is not None
        found[day] = (record.state, record.outcome, record.message_id, record.late)
    assert found == {
        1: ("sent", "posted", "1700.1", True),
        2: ("sent", "notified", "1700.2", False),
        3: ("skipped", "skipped", None, False),
        4: ("skipped", "missed", None, False),
        5: ("sending", None, None, False),  # may have been posted: looked for before a repost
        6: ("claimed", None, None, False),
    }
    posting = await store.get(DeliveryId("slack:T1", "C1", "digest", "2026-11-05"))
    assert posting is not None
    assert posting.sending_at == NOW

    # And back: the digest records return to the old table.
    async with empty_database.engine.begin() as connection:
        await connection.run_sync(_downgrade_to("0003"))
        outcomes = (
            await connection.execute(
                text("SELECT outcome FROM digest_deliveries ORDER BY local_date")
            )
        ).scalars()
        assert list(outcomes) == ["posted", "notified", "skipped", "missed", "posting", "waiting"]


async def test_0004_adds_the_chart_problem_of_a_schedule(database: Database):
    async with database.transaction() as connection:
        await ensure_workspace_row(connection, "slack:T1")
        await connection.execute(
            insert(digest_schedules).values(
                workspace_id="slack:T1", channel_id="C1", local_time="09:00", time_zone="UTC",
                weekdays=127, skip_empty=False, enabled=True, due_at=NOW, attempt_at=NOW,
                attempts=0, created_by="cli", created_at=NOW, updated_at=NOW,
                chart_problem="Invite @Venice",
            )
        )  # fmt: skip
        problem = await connection.scalar(text("SELECT chart_problem FROM digest_schedules"))
    assert problem == "Invite @Venice"
