"""`/venice alert ...` as admins and members type it, answered by the core with the real alert
service (a real store, the Venice simulator), and what the next sweep then posts."""

from __future__ import annotations

from datetime import timedelta

from bot.alerts.control import AlertController
from bot.command_spec import Caller, CommandContext, FixedServices
from bot.core import Answer
from bot.deadline import Deadline
from bot.registry import COMMANDS
from tests.alerts.conftest import CHANNEL, EVENING, WORKSPACE, AlertWorld
from tests.asking import answer_text

ADMIN = Caller("U0ADMIN", "ada", is_admin=True)
MEMBER = Caller("U0BOB", "bob", is_admin=False)


async def ask(
    world: AlertWorld, text: str, caller: Caller = ADMIN, channel: str | None = CHANNEL
) -> Answer:
    ctx = CommandContext(
        now=EVENING,
        deadline=Deadline.after(10),
        workspace_id=WORKSPACE,
        caller=caller,
        channel_id=channel,
        services=FixedServices(alerts=AlertController(world.sweeper())),
        commands=COMMANDS,
    )
    return await answer_text(text, ctx)


async def test_on_adds_a_rule_for_this_channel_that_the_next_sweep_posts(world: AlertWorld):
    added = await ask(world, "alert on usd below 100000")
    assert added.outcome == "answered"
    assert added.card.title == "Alert 1 is on"
    assert "the USD balance below $100,000.00" in (added.card.summary or "")
    [rearms] = [f.value for f in added.card.fields if f.label == "Re-arms"]
    assert rearms == "when the USD balance is back at $110,000.00"
    [rule] = await world.alerts.list_rules(WORKSPACE)
    assert (rule.channel_id, rule.rule_text, rule.created_by) == (
        CHANNEL,
        "usd below 100000",
        "ada (U0ADMIN)",
    )
    assert (await world.sweeper().sweep(EVENING)).fired == 1


async def test_list_shows_every_rule_with_its_state_and_last_value(world: AlertWorld):
    await ask(world, "alert on usd below 100000")
    await ask(world, "alert on key-cap 99%", channel="C0OTHER")
    await world.sweeper().sweep(EVENING)
    listed = await ask(world, "alert list", caller=MEMBER)  # anyone who may read billing
    assert listed.outcome == "answered"
    assert listed.card.summary == "2 alerts in this workspace, 1 firing."
    [table] = listed.card.tables
    rows = [row.cells for row in table.rows]
    assert [cells[:4] for cells in rows] == [
        ("1", f"#{CHANNEL}", "usd below 100000", "firing"),
        ("2", "#C0OTHER", "key-cap 99%", "armed"),
    ]
    assert rows[0][4].startswith("$")  # the USD balance the sweep read, as money
    assert rows[1][4].endswith("%")


async def test_members_may_not_change_alerts(world: AlertWorld):
    for text in ("alert on usd below 5", "alert off 1", "alert snooze 1 1h", "alert ack 1",
                 "alert test 1"):  # fmt: skip
        refused = await ask(world, text, caller=MEMBER)
        assert refused.outcome == "forbidden", text
    assert await world.alerts.list_rules(WORKSPACE) == []


async def test_snooze_silences_a_crossing_until_it_ends(world: AlertWorld):
    await ask(world, "alert on usd below 100000")
    snoozed = await ask(world, "alert snooze 1 1h")
    assert "posts nothing until 2026-12-04 23:00 UTC" in (snoozed.card.summary or "")
    assert (await world.sweeper().sweep(EVENING + timedelta(minutes=5))).fired == 0
    assert world.poster.in_channel(CHANNEL) == []
    after = await world.sweeper().sweep(EVENING + timedelta(hours=1, minutes=5))
    assert after.fired == 1  # still crossed when the snooze ends: posted once


async def test_ack_stops_reminders_and_says_so(world: AlertWorld):
    await ask(world, "alert on usd below 100000")
    not_firing = await ask(world, "alert ack 1")
    assert not_firing.card.title == "Alert 1 is not firing"
    await world.sweeper().sweep(EVENING)
    acked = await ask(world, "alert ack 1")
    assert acked.card.title == "Alert 1 acknowledged"
    day_later = await world.sweeper().sweep(EVENING + timedelta(hours=25))
    assert day_later.reminded == 0


async def test_a_rule_unacknowledged_is_reminded_a_day_later(world: AlertWorld):
    await ask(world, "alert on usd below 100000")
    await world.sweeper().sweep(EVENING)
    reminded = await world.sweeper().sweep(EVENING + timedelta(hours=24, minutes=1))
    assert reminded.reminded == 1
    _, reminder = world.poster.in_channel(CHANNEL)
    assert reminder.card.title.startswith("Still: ")
    assert reminder.reply_to == world.poster.posts[0].message_id


async def test_test_shows_privately_what_it_would_post_now(world: AlertWorld):
    await ask(world, "alert on usd below 100000")
    tested = await ask(world, "alert test 1")
    assert tested.outcome == "answered"
    assert tested.card.title == "Test of alert 1: USD balance below $100,000.00"
    assert tested.card.kind == "help"  # private, never a Share button
    assert world.poster.in_channel(CHANNEL) == []


async def test_off_removes_one_or_all(world: AlertWorld):
    for rule in ("usd below 1", "spike", "funds-out"):
        await ask(world, f"alert on {rule}")
    assert (await ask(world, "alert off 2")).card.title == "Alert 2 removed"
    gone = await ask(world, "alert off 2")
    assert gone.outcome == "invalid"
    assert "no alert 2" in (gone.card.summary or "")
    everything = await ask(world, "alert off all")
    assert everything.card.summary == "Removed 2 alerts of this channel."
    assert await world.alerts.list_rules(WORKSPACE) == []


async def test_mistakes_are_explained_with_an_example(world: AlertWorld):
    cases = {
        "alert on": "Say what to watch",
        "alert on usd abov 25": "not `abov`",
        "alert frobnicate": "use list, on, off, test, snooze or ack",
        "alert snooze": "needs the alert's id",
        "alert snooze 1": "Say for how long: 1h, 1d or 1w",
        "alert snooze 1 forever": "",
        "alert test 9": "no alert 9",
        "alert list now": "takes nothing more",
    }
    await ask(world, "alert on spike")
    for text, said in cases.items():
        reply = await ask(world, text)
        assert reply.outcome == "invalid", text
        assert said in (reply.card.summary or ""), (text, reply.card.summary)


async def test_a_duplicate_rule_in_the_same_channel_is_refused(world: AlertWorld):
    await ask(world, "alert on usd below 25")
    again = await ask(world, "alert on USD below $25.00")
    assert again.card.title == "Alert not added"
    assert "already has the alert `usd below 25` (id 1)" in (again.card.summary or "")
