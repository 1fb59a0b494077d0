"""Alert rules, on SQLite and PostgreSQL: short ids per workspace that are never reused, one of
each rule per channel, at most 50 per workspace, and a compare-and-set that only one process
wins, so each crossing's post is begun once (its delivery id: tests of bot/alerts/stored.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from bot.alerts.rules import parse_rule
from bot.schedule import DigestTime
from bot.store import Database, WorkspaceStore
from bot.store.alerts import (
    MAX_RULES_PER_WORKSPACE,
    POST_LEASE,
    AlertProgress,
    AlertRuleRecord,
    AlertStore,
    DuplicateAlertRule,
    SeenValue,
    TooManyAlertRules,
    post_occurrence,
)
from bot.store.database import _alembic_config
from bot.store.deliveries import DeliveryId, DeliveryStore
from bot.store.digests import DigestStore
from tests.store.conftest import same_database

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FIRING = AlertProgress(state="firing", crossed_at=NOW, posted_at=NOW, last_value="20",
                       last_value_at=NOW)  # fmt: skip


@pytest.fixture
def alerts(database: Database) -> AlertStore:
    return AlertStore(database)


async def add(alerts: AlertStore, text: str, *, workspace: str = "slack:T1",
              channel: str = "C1") -> AlertRuleRecord:  # fmt: skip
    return await alerts.add(
        workspace, channel, parse_rule(tuple(text.split())), by="ada (U1)", by_id="U1", now=NOW
    )


async def test_a_new_rule_is_armed_with_the_workspaces_next_short_id(
    alerts: AlertStore, store: WorkspaceStore
):
    first = await add(alerts, "usd below 25.50")
    second = await add(alerts, "diem used 80%", channel="C2")
    other = await add(alerts, "spike", workspace="discord:42")
    assert (first.id, second.id, other.id) == (1, 2, 1)
    assert await store.get_workspace("discord:42") is not None
    assert (first.workspace_id, first.channel_id, first.rule_text, first.kind) == (
        "slack:T1", "C1", "usd below 25.50", "usd_below",
    )  # fmt: skip
    assert first.threshold == Decimal("25.50")
    assert other.threshold is None
    assert (first.state, first.crossings, first.last_post, first.progress.last_value) == (
        "armed", 0, None, None,
    )  # fmt: skip
    assert (first.created_by, first.created_by_id, first.created_at) == ("ada (U1)", "U1", NOW)
    assert await alerts.get("slack:T1", 1) == first
    assert await alerts.get("slack:T1", 3) is None
    assert await alerts.get("discord:42", 2) is None


async def test_a_removed_rules_id_is_never_given_again(alerts: AlertStore):
    await add(alerts, "usd below 25")
    await add(alerts, "spike")
    assert await alerts.remove("slack:T1", 2)
    assert not await alerts.remove("slack:T1", 2)
    assert (await add(alerts, "funds-out")).id == 3
    assert await alerts.remove_all("slack:T1") == 2
    assert (await add(alerts, "spike")).id == 4


async def test_the_same_rule_twice_in_one_channel_is_refused_with_its_id(alerts: AlertStore):
    await add(alerts, "spike")
    await add(alerts, "usd below 25")
    with pytest.raises(DuplicateAlertRule) as refused:
        await add(alerts, "USD under $25.00")  # the same rule, however typed
    assert refused.value.rule_id == 2
    assert refused.value.message == (
        "This channel already has the alert `usd below 25` (id 2); `alert off 2` removes it."
    )
    assert (await add(alerts, "usd below 25", channel="C2")).id == 3  # a refusal uses no id
    assert (await add(alerts, "usd below 26")).channel_id == "C1"


async def test_a_workspace_has_at_most_50_rules(alerts: AlertStore):
    for amount in range(1, MAX_RULES_PER_WORKSPACE + 1):
        await add(alerts, f"usd below {amount}", channel=f"C{amount % 3}")
    with pytest.raises(TooManyAlertRules, match="50 alerts, the most it can have"):
        await add(alerts, "spike")
    assert (await add(alerts, "spike", workspace="slack:T2")).id == 1  # another workspace
    assert await alerts.remove("slack:T1", 7)
    assert (await add(alerts, "spike")).rule_text == "spike"


async def test_rules_are_listed_by_workspace_and_id_and_removed_by_channel(alerts: AlertStore):
    await add(alerts, "spike", channel="C2")
    await add(alerts, "usd below 25")
    await add(alerts, "funds-out", workspace="discord:7")
    await add(alerts, "key-cap 90%", channel="C2")
    listed = [(r.workspace_id, r.id, r.channel_id) for r in await alerts.list_rules()]
    assert listed == [("discord:7", 1, "C1"), ("slack:T1", 1, "C2"), ("slack:T1", 2, "C1"),
                      ("slack:T1", 3, "C2")]  # fmt: skip
    assert [r.rule_text for r in await alerts.list_rules("slack:T1")] == [
        "spike", "usd below 25", "key-cap 90%",
    ]  # fmt: skip
    assert await alerts.workspaces_with_rules() == ["discord:7", "slack:T1"]
    assert await alerts.remove_all("slack:T1", "C2") == 2
    assert [r.id for r in await alerts.list_rules("slack:T1")] == [2]
    assert await alerts.remove_all("discord:7") == 1
    assert await alerts.remove_all("discord:7") == 0
    assert await alerts.workspaces_with_rules() == ["slack:T1"]


async def test_a_snooze_is_kept_until_its_time_or_lifted(alerts: AlertStore):
    rule = await add(alerts, "usd below 25")
    until = NOW + timedelta(days=1)
    snoozed = await alerts.snooze("slack:T1", rule.id, until, now=NOW)
    assert snoozed is not None
    assert (snoozed.progress.snoozed_until, snoozed.version) == (until, rule.version + 1)
    lifted = await alerts.snooze("slack:T1", rule.id, None, now=NOW)
    assert lifted is not None
    assert lifted.progress.snoozed_until is None
    assert await alerts.snooze("slack:T1", 99, until, now=NOW) is None


async def test_only_a_firing_rule_can_be_acked(alerts: AlertStore):
    rule = await add(alerts, "usd below 25")
    armed = await alerts.ack("slack:T1", rule.id, by="bob (U2)", now=NOW)
    assert armed == rule  # nothing to acknowledge: unchanged
    won = await alerts.transition(rule, FIRING, new_crossing=True, post="fire", owner="A",
                                  now=NOW)  # fmt: skip
    assert won is not None
    acked = await alerts.ack("slack:T1", rule.id, by="bob (U2)", now=NOW + timedelta(hours=1))
    assert acked is not None
    assert (acked.progress.acked_at, acked.acked_by) == (NOW + timedelta(hours=1), "bob (U2)")
    assert acked.version == won.record.version + 1
    assert await alerts.ack("slack:T1", 99, by="bob (U2)", now=NOW) is None


async def test_a_transition_writes_the_state_and_begins_the_crossings_post(
    alerts: AlertStore, database: Database
):
    rule = await add(alerts, "usd below 25")
    won = await alerts.transition(rule, FIRING, new_crossing=True, post="fire", owner="A",
                                  now=NOW)  # fmt: skip
    assert won is not None
    record = won.record
    assert (record.state, record.crossings, record.last_post) == ("firing", 1, "1:1")
    assert record.progress == FIRING
    assert (record.version, record.updated_at) == (rule.version + 1, NOW)
    assert record.post_lease_until == NOW + POST_LEASE
    assert record.last_delivery == DeliveryId("slack:T1", "C1", "alert", "1:1")
    assert won.delivery is not None
    assert (won.delivery.id, won.delivery.state, won.delivery.owner) == (
        record.last_delivery, "claimed", "A",
    )  # fmt: skip
    assert await DeliveryStore(database).get(record.last_delivery) == won.delivery
    assert await alerts.get("slack:T1", rule.id) == record


async def test_a_transition_from_a_stale_version_changes_nothing(alerts: AlertStore):
    rule = await add(alerts, "usd below 25")
    # A person snoozes the rule after the sweep read it: the sweep's write loses.
    await alerts.snooze("slack:T1", rule.id, NOW + timedelta(hours=1), now=NOW)
    assert await alerts.transition(rule, FIRING, new_crossing=True, post="fire", owner="A",
                                   now=NOW) is None  # fmt: skip
    kept = await alerts.get("slack:T1", rule.id)
    assert kept is not None
    assert (kept.state, kept.crossings, kept.last_post) == ("armed", 0, None)
    assert kept.progress.snoozed_until == NOW + timedelta(hours=1)


async def test_a_value_only_transition_keeps_the_last_post_and_its_lease(alerts: AlertStore):
    rule = await add(alerts, "usd below 25")
    fired = await alerts.transition(rule, FIRING, new_crossing=True, post="fire", owner="A",
                                    now=NOW)  # fmt: skip
    assert fired is not None
    later = NOW + timedelta(minutes=10)
    seen = AlertProgress(state="firing", crossed_at=NOW, posted_at=NOW, last_value="19",
                         last_value_at=later)  # fmt: skip
    moved = await alerts.transition(fired.record, seen, new_crossing=False, post=None,
                                    owner="B", now=later)  # fmt: skip
    assert moved is not None
    assert moved.delivery is None
    assert (moved.record.crossings, moved.record.last_post) == (1, "1:1")
    assert moved.record.post_lease_until == NOW + POST_LEASE
    assert moved.record.progress.last_value == "19"


def test_each_post_of_each_crossing_has_its_own_occurrence():
    assert post_occurrence(3, 7, "fire") == "3:7"
    assert post_occurrence(3, 7, "remind", 2) == "3:7:remind2"
    assert post_occurrence(3, 7, "recover") == "3:7:recovered"
    assert len(post_occurrence(999_999, 99_999_999, "remind", 9999)) <= 40  # the column's size


async def test_an_abandoned_post_is_taken_over_once_its_lease_runs_out(
    alerts: AlertStore, database: Database
):
    rule = await add(alerts, "usd below 25")
    assert await alerts.claim_post(rule, owner="B", now=NOW) is None  # nothing posted yet
    fired = await alerts.transition(rule, FIRING, new_crossing=True, post="fire", owner="A",
                                    now=NOW)  # fmt: skip
    assert fired is not None
    record = fired.record
    early = NOW + POST_LEASE - timedelta(seconds=1)
    assert await alerts.claim_post(record, owner="B", now=early) is None  # A still holds it
    late = NOW + POST_LEASE
    taken = await alerts.claim_post(record, owner="B", now=late)
    assert taken is not None
    assert taken.delivery is not None
    assert (taken.delivery.id.occurrence, taken.delivery.owner) == ("1:1", "B")
    assert taken.record.post_lease_until == late + POST_LEASE
    assert await alerts.claim_post(record, owner="C", now=late) is None  # stale version
    # Once it is done, claiming it again hands back the done delivery: nothing to post.
    deliveries = DeliveryStore(database)
    sent = await deliveries.sent(taken.delivery, "M1", chart=None, outcome="posted", late=False,
                                 now=late)  # fmt: skip
    again = await alerts.claim_post(taken.record, owner="C", now=late + POST_LEASE)
    assert again is not None
    assert again.delivery == sent
    assert again.delivery.done


@pytest.fixture
async def two_processes(database: Database) -> AsyncIterator[tuple[AlertStore, AlertStore]]:
    other = await same_database(database)
    try:
        yield AlertStore(database), AlertStore(other)
    finally:
        await other.aclose()


async def test_two_processes_racing_one_crossing_post_it_once(
    two_processes: tuple[AlertStore, AlertStore], database: Database
):
    first, second = two_processes
    rules = [await add(first, f"usd below {n}") for n in range(1, 11)]

    async def sweep(alerts: AlertStore, owner: str) -> list[int]:
        won: list[int] = []
        for rule in rules:  # both read the same version of each rule
            done = await alerts.transition(rule, FIRING, new_crossing=True, post="fire",
                                           owner=owner, now=NOW)  # fmt: skip
            if done is not None:
                won.append(rule.id)
            await asyncio.sleep(0)
        return won

    a, b = await asyncio.gather(sweep(first, "A"), sweep(second, "B"))
    assert sorted(a + b) == [rule.id for rule in rules]  # each crossing won exactly once
    deliveries = DeliveryStore(database)
    for rule in rules:
        stored = await first.get("slack:T1", rule.id)
        assert stored is not None
        assert (stored.crossings, stored.version) == (1, rule.version + 1)
        delivery = await deliveries.get(DeliveryId("slack:T1", "C1", "alert", f"{rule.id}:1"))
        assert delivery is not None
        assert delivery.owner == ("A" if rule.id in a else "B")


async def test_two_processes_adding_at_once_get_distinct_ids_and_one_of_each_rule(
    two_processes: tuple[AlertStore, AlertStore],
):
    first, second = two_processes
    texts = [f"usd below {n}" for n in range(1, 9)]

    async def adder(alerts: AlertStore) -> list[int | str]:
        results: list[int | str] = []
        for typed in texts:
            try:
                results.append((await add(alerts, typed)).id)
            except DuplicateAlertRule:
                results.append("duplicate")
        return results

    a, b = await asyncio.gather(adder(first), adder(second))
    ids = [result for result in a + b if isinstance(result, int)]
    assert len(ids) == len(set(ids)) == len(texts)
    assert sorted(r.rule_text for r in await first.list_rules()) == sorted(texts)


def _upgrade_to_0004(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "0004")


async def test_0005_upgrades_a_0004_database_and_keeps_its_schedules(empty_database: Database):
    async with empty_database.engine.begin() as connection:
        await connection.run_sync(_upgrade_to_0004)
    digests = DigestStore(empty_database)
    when = DigestTime(datetime(2026, 1, 1, 9, 0).time(), "UTC")
    await digests.upsert("slack:T1", "C1", when, skip_empty=False, by="ada", by_id=None,
                         now=NOW)  # fmt: skip
    assert await empty_database.pending_migrations()

    await empty_database.upgrade()
    await empty_database.upgrade()

    async with empty_database.engine.connect() as connection:
        versions = (await connection.scalars(text("SELECT version_num FROM alembic_version"))).all()
    assert list(versions) == ["0005"]
    assert len(await digests.list_schedules()) == 1
    assert (await add(AlertStore(empty_database), "usd below 25")).id == 1


def _downgrade_to_0004(connection: Connection) -> None:
    command.downgrade(_alembic_config(connection), "0004")


async def test_0005_downgrades_to_0004_and_upgrades_again(database: Database):
    await add(AlertStore(database), "usd below 25")
    async with database.engine.begin() as connection:
        await connection.run_sync(_downgrade_to_0004)
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not tables & {"alert_rules", "alert_rule_ids"}
    assert "deliveries" in tables
    await database.upgrade()
    assert await AlertStore(database).list_rules() == []
    assert (await add(AlertStore(database), "usd below 25")).id == 1


async def test_last_readings_are_written_in_one_batch_without_a_version_bump(alerts: AlertStore):
    first = await add(alerts, "usd below 25")
    second = await add(alerts, "spike")
    stale = await add(alerts, "funds-out")
    await alerts.snooze(stale.workspace_id, stale.id, NOW + timedelta(hours=1), now=NOW)
    later = NOW + timedelta(minutes=5)
    await alerts.record_values([
        SeenValue(first.workspace_id, first.id, first.version, "30", later),
        SeenValue(second.workspace_id, second.id, second.version, "false", later),
        SeenValue(stale.workspace_id, stale.id, stale.version, "true", later),  # snoozed since
    ])  # fmt: skip
    rows = {rule.id: rule for rule in await alerts.list_rules("slack:T1")}
    assert (rows[first.id].progress.last_value, rows[first.id].progress.last_value_at) == (
        "30", later,
    )  # fmt: skip
    assert (rows[first.id].version, rows[first.id].updated_at) == (first.version, NOW)
    assert rows[second.id].progress.last_value == "false"
    assert rows[stale.id].progress.last_value is None  # another version: left as it is
    # An older reading never replaces a newer one (two processes sweeping at once).
    await alerts.record_values([SeenValue(first.workspace_id, first.id, first.version, "31", NOW)])
    again = await alerts.get(first.workspace_id, first.id)
    assert again is not None
    assert again.progress.last_value == "30"
