"""The alert state machine (bot/alerts/states.py), by tables: each row a sequence of sweeps
(hours after T0, the reading) and what each sweep posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.alerts.rules import AlertRule
from bot.alerts.states import (
    Action,
    LimitPeriod,
    Reading,
    RuleState,
    Step,
    key_cap_period,
    percent_rearm_level,
    runway_rearm_level,
    step,
    usd_rearm_level,
    utc_day,
)

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
USD_25 = AlertRule("usd_below", Decimal(25))
DIEM_80 = AlertRule("diem_used", Decimal(80))
RUNWAY_7 = AlertRule("runway_below", Decimal(7))
SPEND_50 = AlertRule("spend_above", Decimal(50))
KEY_CAP_90 = AlertRule("key_cap", Decimal(90))
SPIKE = AlertRule("spike")
FUNDS_OUT = AlertRule("funds_out")

# A sweep: hours after T0, and the reading's value (None: Venice failed); the period, for the
# rules that reset, is the UTC day of the sweep unless given.
Sweep = tuple[float, Decimal | bool | None] | tuple[float, Decimal | bool | None, str]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def reading(sweep: Sweep) -> Reading | None:
    hours, value = sweep[0], sweep[1]
    if value is None:
        return None
    period = sweep[2] if len(sweep) == 3 else utc_day(at(hours))
    return Reading(value, at(hours), period)


def run(rule: AlertRule, sweeps: list[Sweep], state: RuleState | None = None) -> list[Action]:
    """What each sweep posts, in order."""
    state = state or RuleState()
    actions: list[Action] = []
    for sweep in sweeps:
        done = step(rule, state, reading(sweep), at(sweep[0]))
        actions.append(done.action)
        state = done.state
    return actions


def final(rule: AlertRule, sweeps: list[Sweep], state: RuleState | None = None) -> RuleState:
    state = state or RuleState()
    for sweep in sweeps:
        state = step(rule, state, reading(sweep), at(sweep[0])).state
    return state


D = Decimal


@pytest.mark.parametrize(
    ("rule", "sweeps", "posts"),
    [
        # Crossing, staying crossed, recovering past the margin: one alert, one recovery.
        (USD_25, [(0, D(30)), (1, D(24)), (2, D(20)), (3, D("27.50"))],
         ["none", "fire", "none", "recover"]),
        # Exactly the threshold is not below it.
        (USD_25, [(0, D(25)), (1, D("24.99"))], ["none", "fire"]),
        # Inside the margin (< $27.50): still firing, no second alert when it dips again.
        (USD_25, [(0, D(24)), (1, D(26)), (2, D("27.49")), (3, D(24)), (4, D("27.50"))],
         ["fire", "none", "none", "none", "recover"]),
        # After a recovery, the next crossing is a new alert.
        (USD_25, [(0, D(24)), (1, D(30)), (2, D(24))], ["fire", "recover", "fire"]),
        # Small thresholds re-arm a dollar above, not 10%.
        (AlertRule("usd_below", D(5)), [(0, D(4)), (1, D("5.99")), (2, D(6))],
         ["fire", "none", "recover"]),
        # DIEM: reaching the share fires; 5 points below re-arms; a new UTC day re-arms.
        (DIEM_80, [(0, D(79)), (1, D(80)), (2, D("75.1")), (3, D(75)), (4, D("74.9"))],
         ["none", "fire", "none", "none", "recover"]),
        (DIEM_80, [(0, D(85)), (20, D(0))], ["fire", "recover"]),  # 05:00 next day: new epoch
        (DIEM_80, [(0, D(85)), (14, D(96))], ["fire", "none"]),  # 23:00 the same day
        # A new day already past the share: the new day's alert, not "recovered" too.
        (DIEM_80, [(0, D(85)), (20, D(90))], ["fire", "fire"]),
        # Runway: under N days; re-arms at N + max(1 day, 20%).
        (RUNWAY_7, [(0, D(8)), (1, D("6.9")), (2, D("8.3")), (3, D("8.4"))],
         ["none", "fire", "none", "recover"]),
        (AlertRule("runway_below", D(2)), [(0, D(1)), (1, D("2.9")), (2, D(3))],
         ["fire", "none", "recover"]),
        (RUNWAY_7, [(0, D("Infinity")), (1, D(3)), (2, D("Infinity"))],
         ["none", "fire", "recover"]),  # no burn: runway without end
        # Spend passes the amount (exactly the amount does not); only a new day re-arms.
        (SPEND_50, [(0, D(50)), (1, D("50.01")), (2, D(10)), (20, D(0))],
         ["none", "fire", "none", "recover"]),
        (SPIKE, [(0, False), (1, True), (2, False), (3, True), (20, False)],
         ["none", "fire", "none", "none", "recover"]),
        (SPIKE, [(0, True), (20, True)], ["fire", "fire"]),  # the next day spikes too
        # Funds out while canConsume is false; back when it is true.
        (FUNDS_OUT, [(0, False), (1, True), (2, True), (3, False), (4, True)],
         ["none", "fire", "none", "recover", "fire"]),
        # Venice failing (None) changes nothing, whatever the state.
        (USD_25, [(0, None), (1, D(20)), (2, None), (3, None), (4, D(20)), (5, D(30))],
         ["none", "fire", "none", "none", "none", "recover"]),
    ],
)  # fmt: skip
def test_a_crossing_posts_once_and_recovers_past_its_margin(
    rule: AlertRule, sweeps: list[Sweep], posts: list[Action]
):
    assert run(rule, sweeps) == posts


@pytest.mark.parametrize(
    ("limit_period", "later", "posts"),
    [
        # EPOCH caps reset at 00:00 UTC: the next day's reading is a new period.
        ("EPOCH", datetime(2026, 12, 4, 0, 5, tzinfo=UTC), ["fire", "recover"]),
        ("EPOCH", datetime(2026, 12, 3, 23, 55, tzinfo=UTC), ["fire", "none"]),
        # MONTH caps reset on the first of the month (UTC), not at midnight.
        ("MONTH", datetime(2026, 12, 31, 23, 55, tzinfo=UTC), ["fire", "none"]),
        ("MONTH", datetime(2027, 1, 1, 0, 5, tzinfo=UTC), ["fire", "recover"]),
        # LIFETIME caps never reset: only the share falling (a raised limit) re-arms.
        ("LIFETIME", datetime(2027, 6, 1, tzinfo=UTC), ["fire", "none"]),
    ],
)
def test_a_key_cap_rearms_when_its_limit_period_resets(
    limit_period: LimitPeriod, later: datetime, posts: list[Action]
):
    state = RuleState()
    actions: list[Action] = []
    # 88% later: under the cap's 90% but inside the 5-point margin, so only the period decides.
    for when, share in ((T0, D(95)), (later, D(88))):
        period = key_cap_period("k1", limit_period, when)
        done = step(KEY_CAP_90, state, Reading(share, when, period), when)
        actions.append(done.action)
        state = done.state
    if limit_period == "LIFETIME":
        assert state.state == "firing"
    assert actions == posts


def test_a_lifetime_cap_rearms_when_the_share_falls_past_the_margin():
    period = key_cap_period("k1", "LIFETIME", T0)
    sweeps: list[Sweep] = [(0, D(91), period), (1, D("85.5"), period), (2, D(84), period)]
    assert run(KEY_CAP_90, sweeps) == ["fire", "none", "recover"]


def test_another_key_reaching_its_cap_is_a_new_crossing():
    first = key_cap_period("k1", "MONTH", T0)
    other = key_cap_period("k2", "MONTH", T0)
    assert run(KEY_CAP_90, [(0, D(95), first), (1, D(97), other)]) == ["fire", "fire"]


def test_periods_are_utc_days_and_key_windows():
    madrid_past_midnight = datetime(2026, 12, 4, 0, 30, tzinfo=ZoneInfo("Europe/Madrid"))
    assert utc_day(madrid_past_midnight) == "2026-12-03"  # 23:30 UTC
    assert key_cap_period("k1", "EPOCH", T0) == "k1/EPOCH/2026-12-03"
    assert key_cap_period("k1", "MONTH", T0) == "k1/MONTH/2026-12"
    assert key_cap_period("k1", "LIFETIME", T0) == "k1/LIFETIME"
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_day(datetime(2026, 12, 3))


def test_the_margins_are_the_documented_ones():
    assert usd_rearm_level(D(25)) == D("27.50")  # +10%
    assert usd_rearm_level(D(5)) == D(6)  # +$1 at least
    assert runway_rearm_level(D(7)) == D("8.4")  # +20%
    assert runway_rearm_level(D(3)) == D(4)  # +1 day at least
    assert percent_rearm_level(D(80)) == D(75)


def test_a_crossing_records_when_and_what_and_counts_as_new():
    done = step(USD_25, RuleState(), Reading(D(20), at(1)), at(1.01))
    assert done == Step(
        RuleState("firing", crossed_at=at(1), posted_at=at(1.01), last_value=D(20),
                  last_value_at=at(1)),
        "fire",
        new_crossing=True,
    )  # fmt: skip
    again = step(USD_25, done.state, Reading(D(19), at(2)), at(2))
    assert (again.action, again.new_crossing, again.state.crossed_at) == ("none", False, at(1))
    assert (again.state.last_value, again.state.last_value_at) == (D(19), at(2))


def test_a_missing_reading_leaves_the_state_exactly_as_it_was():
    firing = final(USD_25, [(0, D(20))])
    assert step(USD_25, firing, None, at(30)) == Step(firing)


# Reminders and ack.


def test_a_firing_rule_is_reminded_every_24_hours_until_acked():
    sweeps: list[Sweep] = [(0, D(20)), (23.9, D(20)), (24, D(20)), (30, D(20)), (48, D(20))]
    assert run(USD_25, sweeps) == ["fire", "none", "remind", "none", "remind"]
    assert final(USD_25, sweeps).reminders == 2


def test_an_acked_rule_gets_no_reminders_but_its_recovery_is_posted():
    firing = final(USD_25, [(0, D(20))])
    acked = replace(firing, acked_at=at(1))
    assert run(USD_25, [(24, D(20)), (72, D(20)), (73, D(40))], acked) == [
        "none", "none", "recover",
    ]  # fmt: skip


def test_rearming_forgets_the_ack_and_the_next_crossing_is_reminded_again():
    acked = replace(final(USD_25, [(0, D(20))]), acked_at=at(1))
    rearmed = final(USD_25, [(2, D(40))], acked)
    assert (rearmed.state, rearmed.acked_at, rearmed.reminders) == ("armed", None, 0)
    assert run(USD_25, [(3, D(20)), (27, D(20))], rearmed) == ["fire", "remind"]


def test_no_reminder_while_back_inside_the_margin():
    # $26 is above the $25 threshold but under the $27.50 re-arm level: firing, not reminded.
    assert run(USD_25, [(0, D(20)), (24, D(26)), (25, D(24))]) == ["fire", "none", "remind"]


# Snooze.

SNOOZED = RuleState(snoozed_until=at(10))


def test_a_snooze_before_a_crossing_holds_its_alert_until_it_ends():
    sweeps: list[Sweep] = [(1, D(20)), (5, D(20)), (10, D(20)), (11, D(20))]
    assert run(USD_25, sweeps, SNOOZED) == ["none", "none", "fire", "none"]
    after = final(USD_25, sweeps, SNOOZED)
    assert (after.crossed_at, after.posted_at, after.snoozed_until) == (at(1), at(10), None)


def test_a_crossing_during_the_snooze_is_one_crossing_however_long_it_lasts():
    steps = []
    state = SNOOZED
    for hours in (1, 5, 10):
        done = step(USD_25, state, Reading(D(20), at(hours)), at(hours))
        steps.append((done.action, done.new_crossing))
        state = done.state
    assert steps == [("none", True), ("none", False), ("fire", False)]


def test_a_crossing_that_recovered_during_the_snooze_posts_nothing():
    sweeps: list[Sweep] = [(1, D(20)), (5, D(30)), (10, D(30))]
    assert run(USD_25, sweeps, SNOOZED) == ["none", "none", "none"]
    assert final(USD_25, sweeps, SNOOZED).state == "armed"


def test_after_the_snooze_a_crossing_inside_the_margin_waits_for_the_threshold():
    # Crossed during the snooze; at its end $26 is back over $25 (inside the margin): no alert
    # yet. It dips under $25 again: the crossing's one alert.
    sweeps: list[Sweep] = [(1, D(20)), (10, D(26)), (11, D(24)), (12, D(24))]
    assert run(USD_25, sweeps, SNOOZED) == ["none", "none", "fire", "none"]


def test_a_snooze_while_firing_silences_reminders_and_recovery():
    firing = final(USD_25, [(0, D(20))])
    snoozed = replace(firing, snoozed_until=at(30))
    assert run(USD_25, [(24, D(20)), (29, D(40))], snoozed) == ["none", "none"]
    assert run(USD_25, [(24, D(20)), (30, D(20))], snoozed) == ["none", "remind"]


def test_a_snooze_before_a_reset_rule_crosses_posts_only_if_the_day_is_still_crossed():
    snoozed = RuleState(snoozed_until=at(20))  # ends 05:00 next UTC day
    assert run(SPEND_50, [(1, D(60)), (20, D(0))], snoozed) == ["none", "none"]
    assert run(SPEND_50, [(1, D(60)), (21, D(70))], snoozed) == ["none", "fire"]


def test_a_snooze_that_has_ended_is_cleared_even_when_nothing_happens():
    done = step(USD_25, SNOOZED, Reading(D(40), at(10)), at(10))
    assert (done.action, done.state.snoozed_until) == ("none", None)
    still = step(USD_25, SNOOZED, Reading(D(40), at(9)), at(9))
    assert still.state.snoozed_until == at(10)


def test_a_reading_of_the_wrong_type_is_a_bug_not_a_crossing():
    with pytest.raises(TypeError):
        step(USD_25, RuleState(), Reading(True, T0), T0)
    with pytest.raises(TypeError):
        step(FUNDS_OUT, RuleState(), Reading(D(1), T0), T0)
