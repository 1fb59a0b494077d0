"""One sweep of every rule against the real Venice simulator and a real store (SQLite and the
shared PostgreSQL): what is posted, once; what is fetched, and only that; what a crash, two
processes at once and Venice failing leave behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr

from bot.alerts.readings import reading_for
from bot.alerts.rules import parse_rule
from bot.alerts.states import Reading
from bot.alerts.stored import advance
from bot.alerts.sweep import SweepReport, run_sweeps
from bot.errors import StoreUnavailable
from bot.metrics import Metrics
from bot.ports import PostFailed
from bot.store.alerts import AlertStore
from tests.alerts.conftest import (
    CHANNEL,
    EVENING,
    NEXT_MORNING,
    WORKSPACE,
    AlertWorld,
    Clock,
    usd_now,
)


async def test_a_crossing_posts_one_alert_and_the_next_sweeps_nothing(world: AlertWorld):
    usd = await usd_now(world)
    rule = await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    report = await world.sweeper().sweep(EVENING)
    assert (report.fired, report.failed) == (1, 0)
    [post] = world.poster.in_channel(CHANNEL)
    assert post.card.title.startswith("USD balance below $")
    assert f"${usd.quantize(Decimal('0.01'))}" in (post.card.summary or "")
    assert post.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{rule.id}:1"
    commands = [action.command for action in post.card.actions]
    snoozes = [f"alert snooze {rule.id} {length}" for length in ("1h", "1d", "1w")]
    assert commands == [*snoozes, f"alert ack {rule.id}", "balance"]
    for _ in range(2):
        again = await world.sweeper("B").sweep(EVENING + timedelta(minutes=5))
        assert again.fired == 0
    assert len(world.poster.in_channel(CHANNEL)) == 1
    [stored] = await world.alerts.list_rules(WORKSPACE)
    assert stored.state == "firing"


async def test_it_recovers_once_when_the_balance_is_topped_up(world: AlertWorld, clock: Clock):
    usd = await usd_now(world)
    await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    await world.sweeper().sweep(EVENING)
    clock.now = NEXT_MORNING  # the draining account is topped up at 00:00 UTC
    report = await world.sweeper().sweep(NEXT_MORNING)
    assert report.recovered == 1
    _, recovered = world.poster.in_channel(CHANNEL)
    assert recovered.card.title == "Recovered: the USD balance"
    assert str(recovered.delivery).endswith(":1:recovered")
    # Under the alert it follows (Slack's thread, Discord's reply).
    assert recovered.reply_to == world.poster.posts[0].message_id
    assert (await world.sweeper().sweep(NEXT_MORNING + timedelta(minutes=5))).recovered == 0


async def test_a_sweep_fetches_only_what_the_rules_need(world: AlertWorld):
    await world.add("usd below 1")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    # One balance call for the workspace with rules; nothing for the one without.
    assert world.calls() == ["/billing/balance"]
    await world.add("runway below 3d")
    await world.add("spend above 10000")
    await world.add("spike")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    assert sorted(world.calls()) == ["/billing/balance", "/billing/usage-analytics"]
    await world.add("key-cap 90%")
    world.simulator.calls.clear()
    await world.sweeper().sweep(EVENING)
    assert sorted(world.calls()) == ["/api_keys", "/billing/balance", "/billing/usage-analytics"]


async def test_two_processes_sweeping_at_once_post_each_crossing_once(world: AlertWorld):
    for rule in ("usd below 100000", "spend above 1", "runway below 90d", "diem used 1%"):
        await world.add(rule)
    other = AlertStore(world.database)
    reports = await asyncio.gather(
        world.sweeper("A").sweep(EVENING), world.sweeper("B", alerts=other).sweep(EVENING)
    )
    assert sum(report.fired for report in reports) == 4
    deliveries = [post.delivery for post in world.poster.in_channel(CHANNEL)]
    assert len(deliveries) == len(set(deliveries)) == 4


async def test_a_post_a_crashed_sweep_left_uncertain_is_found_not_posted_again(world: AlertWorld):
    await world.add("usd below 100000")
    # The platform takes the post, but its answer is lost: the delivery stays `sending`.
    world.poster.take_then_fail(PostFailed("connection reset", uncertain=True))
    first = await world.sweeper("A").sweep(EVENING)
    assert first.failed == 1
    # Inside the post's lease, nobody takes it over.
    await world.sweeper("B").sweep(EVENING + timedelta(minutes=1))
    assert len(world.poster.in_channel(CHANNEL)) == 1
    # After it, the next process looks for the post, finds it, and records it: still one post.
    later = await world.sweeper("B").sweep(EVENING + timedelta(minutes=4))
    assert later.fired == 1
    assert len(world.poster.in_channel(CHANNEL)) == 1
    assert world.poster.looked == [f"alert:{WORKSPACE}:{CHANNEL}:1:1"]


async def test_a_post_that_failed_is_posted_by_a_later_sweep(world: AlertWorld):
    await world.add("usd below 100000")
    world.poster.fail_next(PostFailed("Slack is down", retry_after=30))
    assert (await world.sweeper().sweep(EVENING)).failed == 1
    assert world.poster.in_channel(CHANNEL) == []
    report = await world.sweeper().sweep(EVENING + timedelta(minutes=5))
    assert report.fired == 1
    assert len(world.poster.in_channel(CHANNEL)) == 1


async def test_venice_failing_posts_nothing_and_changes_nothing(world: AlertWorld):
    await world.add("usd below 100000")
    world.simulator.faults.fail_next(500, times=10)
    report: SweepReport = await world.sweeper().sweep(EVENING)
    assert (report.fired, report.unread) == (0, 1)
    [rule] = await world.alerts.list_rules(WORKSPACE)
    assert rule.state == "armed"
    world.simulator.faults.clear()
    assert (await world.sweeper().sweep(EVENING)).fired == 1


async def test_a_workspace_without_a_key_is_reported_not_fetched(world: AlertWorld):
    await world.add("usd below 100000")
    await world.workspaces.remove_credential(WORKSPACE, by="test")
    world.simulator.calls.clear()
    report = await world.sweeper().sweep(EVENING)
    assert world.calls() == []
    assert report.unread == 1
    assert any(line.startswith(f"no key {WORKSPACE}") for line in report.lines)


async def test_the_sweeps_of_serve_post_and_count_into_metrics(world: AlertWorld):
    await world.add("usd below 100000")
    metrics = Metrics()
    stop = asyncio.Event()
    sweeps: list[datetime] = []

    def clock() -> datetime:
        sweeps.append(EVENING + timedelta(minutes=5 * len(sweeps)))
        if len(sweeps) == 3:
            stop.set()  # three sweeps, then `serve` stops
        return sweeps[-1]

    await asyncio.wait_for(
        run_sweeps(world.sweeper(), stop, interval=0.01, clock=clock, metrics=metrics), 30
    )
    assert len(sweeps) == 3
    assert len(world.poster.in_channel(CHANNEL)) == 1  # posted by the first, once
    text = metrics.exposition().decode()
    assert 'venice_bot_alerts_total{outcome="fired",rule="usd_below"} 1.0' in text
    assert "venice_bot_alert_sweep_seconds_count 3.0" in text
    assert "venice_bot_alert_sweep_lag_seconds" in text


async def test_a_key_at_its_own_cap_is_named_with_its_limit_and_period(world: AlertWorld):
    await world.workspaces.save_credential(
        WORKSPACE, SecretStr("sim-admin-team"), key_type="admin", set_by="test",
        verified_at=EVENING,
    )  # fmt: skip
    await world.add("key-cap 90%")
    report = await world.sweeper().sweep(EVENING)
    assert report.fired == 1
    [post] = world.poster.in_channel(CHANNEL)
    card = post.card
    assert card.title.startswith("API key at 9")
    fields = {field.label: field.value for field in card.fields}
    assert (
        fields["API key"] == "Support bot"
    )  # a name from Venice: a field, escaped by each renderer
    assert "lifetime limit of" in (card.summary or "")
    assert "DIEM" in (card.summary or "")
    assert "$" not in (card.summary or "").split("limit of")[1]  # a DIEM cap never gets a `$`
    assert any("Raise the key's limit" in note for note in card.notes)


async def test_a_rule_removed_while_firing_posts_nothing_more(world: AlertWorld, clock: Clock):
    rule = await world.add("usd below 100000")
    await world.sweeper().sweep(EVENING)
    assert await world.alerts.remove(WORKSPACE, rule.id)
    clock.now = NEXT_MORNING
    report = await world.sweeper().sweep(NEXT_MORNING)
    assert (report.rules, report.recovered) == (0, 0)
    assert len(world.poster.in_channel(CHANNEL)) == 1  # the alert, and no "recovered"


async def test_a_rule_removed_after_a_sweep_read_it_is_not_posted(world: AlertWorld):
    await world.add("usd below 100000")
    [read_before] = await world.alerts.list_rules(WORKSPACE)
    await world.alerts.remove(WORKSPACE, read_before.id)  # an admin, between read and write
    readings = await world.sweeper().readings_of(WORKSPACE, [read_before], EVENING)
    assert readings is not None
    done, won = await advance(
        world.alerts, read_before, reading_for("usd_below", readings), owner="A", now=EVENING
    )
    assert done.action == "fire"  # the machine would post...
    assert won is None  # ...but the compare-and-set finds no rule: nothing is posted
    assert world.poster.in_channel(CHANNEL) == []


async def test_a_channel_the_bot_cannot_post_in_is_told_to_the_admin_once(world: AlertWorld):
    record = await world.alerts.add(
        WORKSPACE, CHANNEL, parse_rule(("usd", "below", "100000")), by="ada", by_id="U0ADA",
        now=EVENING,
    )  # fmt: skip
    world.poster.make_unavailable(CHANNEL, "The bot is not in that channel.")
    first = await world.sweeper().sweep(EVENING)
    assert first.failed == 1
    [told] = world.poster.told
    assert told.user_ids == ("U0ADA",)
    assert f"could not post alert {record.id} (`usd below 100000`)" in told.text
    attempts = world.poster.attempts
    for minutes in (5, 10):  # not tried again every sweep, not told again
        await world.sweeper().sweep(EVENING + timedelta(minutes=minutes))
    assert world.poster.attempts == attempts
    assert len(world.poster.told) == 1


async def test_the_database_failing_as_a_workspace_is_read_stops_the_sweep_and_says_so(
    world: AlertWorld, monkeypatch: pytest.MonkeyPatch
):
    await world.add("usd below 100000")

    async def down(workspace_id: str) -> object:
        raise StoreUnavailable(writing=False, cause="ConnectionRefusedError")

    async def none_read(workspace_ids: list[str]) -> dict[str, object]:
        return {}  # as the batched read answers when the database does not

    monkeypatch.setattr(world.workspaces, "command_states", none_read)
    monkeypatch.setattr(world.workspaces, "command_state", down)
    report = await world.sweeper().sweep(EVENING)  # said, not raised
    assert report.interrupted is not None
    assert "ConnectionRefusedError" in report.interrupted
    assert world.poster.posts == []


async def test_a_crossing_left_unposted_is_posted_before_its_recovery(
    world: AlertWorld, clock: Clock
):
    usd = await usd_now(world)
    record = await world.add(f"usd below {(usd + 1).quantize(Decimal(1))}")
    # A process decides the alert just before midnight and dies before posting it.
    crossed = datetime(2026, 12, 4, 23, 59, tzinfo=UTC)
    _, won = await advance(world.alerts, record, Reading(usd, crossed), owner="dead", now=crossed)
    assert won is not None
    assert won.delivery is not None
    # The draining account is topped up at 00:00: recovered, inside the dead process's lease.
    clock.now = crossed + timedelta(minutes=2)
    assert (await world.sweeper("B").sweep(clock.now)).recovered == 0
    assert world.poster.posts == []  # not a recovery of an alert nobody saw
    # After the lease the alert is taken over; its post fails: still nothing recovers.
    world.poster.fail_next(PostFailed("Slack is down", retry_after=30))
    clock.now = crossed + timedelta(minutes=4)
    assert (await world.sweeper("B").sweep(clock.now)).recovered == 0
    assert world.poster.posts == []
    # Once it is posted, its recovery follows: each once, in order.
    clock.now = crossed + timedelta(minutes=8)
    report = await world.sweeper("B").sweep(clock.now)
    assert (report.fired, report.recovered) == (1, 1)
    fired, recovered = world.poster.in_channel(CHANNEL)
    assert fired.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{record.id}:1"
    assert recovered.delivery == f"alert:{WORKSPACE}:{CHANNEL}:{record.id}:1:recovered"
