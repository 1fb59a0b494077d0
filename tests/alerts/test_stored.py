"""A rule's turns in sweeps (bot/alerts/stored.py), on SQLite and PostgreSQL: the state machine's
steps written through the store, each post begun once under its own delivery id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.alerts.rules import AlertRule
from bot.alerts.states import Reading, RuleState
from bot.alerts.stored import advance, rule_of, state_of, value_of, value_text
from bot.store import Database
from bot.store.alerts import AlertRuleRecord, AlertStore
from bot.store.deliveries import DeliveryStore
from tests.store.conftest import same_database

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
USD_25 = AlertRule("usd_below", Decimal(25))


@pytest.fixture
def alerts(database: Database) -> AlertStore:
    return AlertStore(database)


async def current(alerts: AlertStore, record: AlertRuleRecord) -> AlertRuleRecord:
    found = await alerts.get(record.workspace_id, record.id)
    assert found is not None
    return found


async def test_a_rules_life_posts_each_step_once_under_its_own_delivery_id(
    alerts: AlertStore, database: Database
):
    record = await alerts.add("slack:T1", "C1", USD_25, by="ada", now=T0)
    assert rule_of(record) == USD_25
    deliveries = DeliveryStore(database)
    posted: list[tuple[str, str]] = []
    for hours, usd in ((0, "30"), (1, "20"), (2, "19"), (25, "18"), (26, "40"), (27, "10")):
        now = T0 + timedelta(hours=hours)
        done, won = await advance(alerts, record, Reading(Decimal(usd), now), owner="A", now=now)
        record = await current(alerts, record)
        if done.action != "none":
            assert won is not None
            assert won.delivery is not None
            assert won.delivery == await deliveries.get(won.delivery.id)
            posted.append((done.action, won.delivery.id.occurrence))
    assert posted == [
        ("fire", f"{record.id}:1"),
        ("remind", f"{record.id}:1:remind1"),
        ("recover", f"{record.id}:1:recovered"),
        ("fire", f"{record.id}:2"),
    ]
    assert (record.state, record.crossings, record.progress.last_value) == ("firing", 2, "10")
    assert record.progress.crossed_at == T0 + timedelta(hours=27)


async def test_a_missing_reading_writes_nothing(alerts: AlertStore):
    record = await alerts.add("slack:T1", "C1", USD_25, by="ada", now=T0)
    done, won = await advance(alerts, record, None, owner="A", now=T0)
    assert (done.action, won) == ("none", None)
    assert await current(alerts, record) == record


async def test_a_reading_that_changes_nothing_writes_nothing(alerts: AlertStore):
    record = await alerts.add("slack:T1", "C1", USD_25, by="ada", now=T0)
    _, won = await advance(alerts, record, Reading(Decimal(30), T0), owner="A", now=T0)
    assert won is not None
    seen = won.record
    _, again = await advance(alerts, seen, Reading(Decimal(30), T0), owner="A", now=T0)
    assert again is None
    assert await current(alerts, seen) == seen


async def test_two_processes_advancing_one_rule_post_its_crossing_once(
    alerts: AlertStore, database: Database
):
    other = await same_database(database)
    try:
        record = await alerts.add("slack:T1", "C1", USD_25, by="ada", now=T0)
        reading = Reading(Decimal(20), T0)
        first = await advance(alerts, record, reading, owner="A", now=T0)
        second = await advance(AlertStore(other), record, reading, owner="B", now=T0)
    finally:
        await other.aclose()
    assert first[0].action == second[0].action == "fire"  # both decide to post ...
    assert first[1] is not None
    assert second[1] is None  # ... only the first to write does
    assert (await current(alerts, record)).crossings == 1


async def test_a_snooze_set_while_a_sweep_runs_wins_over_the_sweep(alerts: AlertStore):
    record = await alerts.add("slack:T1", "C1", USD_25, by="ada", now=T0)
    await alerts.snooze("slack:T1", record.id, T0 + timedelta(days=1), now=T0)
    _, won = await advance(alerts, record, Reading(Decimal(20), T0), owner="A", now=T0)
    assert won is None
    snoozed = await current(alerts, record)
    assert state_of(snoozed) == RuleState(snoozed_until=T0 + timedelta(days=1))
    done, won = await advance(alerts, snoozed, Reading(Decimal(20), T0), owner="A", now=T0)
    assert done.action == "none"  # crossed, silently, while snoozed
    assert won is not None
    assert (won.record.state, won.record.crossings, won.delivery) == ("firing", 1, None)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (Decimal("25.10"), "25.10"),
        (Decimal("1E+3"), "1000"),
        (Decimal(1) / Decimal(7), "0.142857"),
        (Decimal("Infinity"), "Infinity"),
        (True, "true"),
        (False, "false"),
        (None, None),
    ],
)
def test_values_are_stored_as_exact_text(value: Decimal | bool | None, stored: str | None):
    assert value_text(value) == stored
    back = value_of(stored)
    if isinstance(value, Decimal) and value.is_finite():
        assert back == value.quantize(Decimal("0.000001"))
    else:
        assert back == value
