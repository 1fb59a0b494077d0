"""The state machine of one alert rule: from a reading of what the rule watches, the rule's new
state and what to post. Pure: no clock, no database, no Venice (the sweep brings all three).

States: `armed` (waiting for a crossing) and `firing` (crossed, alert posted or waiting for the
snooze to end). Snooze (`snoozed_until`) and ack (`acked_at`) sit beside the state:

    armed --crossed--> firing --recovered past the margin, or a new period--> armed
                         |  \\__ every 24 h while not acked: remind
                         +-- a new period still crossed: a new crossing (fire again)

Actions: `fire` (post the alert), `remind` (post "still ..."), `recover` (post a short
"recovered" reply), `none`. A crossing posts once; nothing more while it stays firing except
the reminder.

**Crossing** (BEHAVIOURS): usd_below: USD < threshold; diem_used: used % >= threshold;
runway_below: days < threshold; spend_above: today's spend > threshold; key_cap: the highest
key's share of its limit >= threshold; spike, funds_out: the reading is True (the day is an
anomaly by the digest's rule, bot/digest/anomaly.py; Venice's canConsume is false).

**Hysteresis** (a firing rule re-arms only past a margin, so a value hovering at the threshold
does not post every sweep):
- usd_below: USD >= threshold + max(10% of it, $1.00) (USD_MARGIN_SHARE, USD_MARGIN_FLOOR);
- diem_used, key_cap: the share < threshold - 5 points (PERCENT_MARGIN_POINTS), or a new period;
- runway_below: runway >= threshold + max(1 day, 20%) (RUNWAY_MARGIN_DAYS, RUNWAY_MARGIN_SHARE);
- spend_above, spike: only a new period (a new UTC day: a day's spend only grows);
- funds_out: canConsume true again.

**Periods.** A reading of a rule that resets carries its `period` (`period_of`): the UTC date
for diem_used, spend_above and spike (00:00 UTC); for key_cap the key and its `limitPeriod`
window (EPOCH: the UTC date; MONTH: the UTC month; LIFETIME: never changes). A firing rule whose
reading is of another period re-arms (recover), or, if the new period is crossed already,
starts a new crossing (fire: one post, the new alert, not "recovered" too).

**A missing reading** (None: Venice failed) changes nothing and posts nothing, not even a
reminder: the bot does not know the value.

**Snooze.** While `now < snoozed_until` the machine still tracks crossings and recoveries but
posts nothing. A crossing that began during the snooze posts once at the first sweep after it
ends if the value is still crossed then (past the threshold itself, not just inside the margin);
a recovery during the snooze re-arms silently. The first sweep after the snooze clears
`snoozed_until`.

**Ack and reminders.** While firing, posted, not acked and still past the threshold itself, a
reminder is posted every 24 hours (REMIND_EVERY) after the last post; an acked crossing gets no
reminders (its recovery is still posted: good news is never muted). Re-arming forgets the ack:
the next crossing starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from bot.alerts.rules import AlertRule, RuleKind

AlertState = Literal["armed", "firing"]
Action = Literal["none", "fire", "remind", "recover"]
LimitPeriod = Literal["EPOCH", "MONTH", "LIFETIME"]

REMIND_EVERY = timedelta(hours=24)
USD_MARGIN_SHARE = Decimal("0.10")
USD_MARGIN_FLOOR = Decimal("1.00")
PERCENT_MARGIN_POINTS = Decimal(5)
RUNWAY_MARGIN_DAYS = Decimal(1)
RUNWAY_MARGIN_SHARE = Decimal("0.20")

Value = Decimal | bool


@dataclass(frozen=True, slots=True)
class Reading:
    """What a rule watches, measured at MEASURED_AT: a Decimal (USD, percent, days: runway with
    no burn is Decimal("Infinity")), or a bool for spike and funds_out (True: the condition
    holds). PERIOD: the reset window it belongs to, for the rules that reset (`period_of`)."""

    value: Value
    measured_at: datetime
    period: str | None = None


@dataclass(frozen=True, slots=True)
class RuleState:
    """One rule's state as the machine sees it (the store keeps it, bot/store/alerts.py).

    `crossed_at`: when the last crossing began; `period`: the period it began in; `posted_at`:
    the last post about it (alert or reminder; None: not posted yet, it crossed while snoozed);
    `reminders`: how many reminders it has had."""

    state: AlertState = "armed"
    crossed_at: datetime | None = None
    period: str | None = None
    posted_at: datetime | None = None
    reminders: int = 0
    snoozed_until: datetime | None = None
    acked_at: datetime | None = None
    last_value: Value | None = None
    last_value_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """The new STATE and what to post; NEW_CROSSING: this step began a crossing (the store
    counts them: each crossing's post has a delivery id of its own)."""

    state: RuleState
    action: Action = "none"
    new_crossing: bool = False


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How one kind crosses and recovers (past its margin), and whether it resets by period."""

    crossed: Callable[[Value, Decimal], bool]
    recovered: Callable[[Value, Decimal], bool]
    resets: bool


def _number(value: Value) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("this rule reads a number, not a yes/no")
    return value


def _flag(value: Value) -> bool:
    if not isinstance(value, bool):
        raise TypeError("this rule reads a yes/no, not a number")
    return value


def usd_rearm_level(threshold: Decimal) -> Decimal:
    """The USD balance at which a firing `usd below` re-arms."""
    return threshold + max(threshold * USD_MARGIN_SHARE, USD_MARGIN_FLOOR)


def runway_rearm_level(threshold: Decimal) -> Decimal:
    """The runway (days) at which a firing `runway below` re-arms."""
    return threshold + max(threshold * RUNWAY_MARGIN_SHARE, RUNWAY_MARGIN_DAYS)


def percent_rearm_level(threshold: Decimal) -> Decimal:
    """The share (percent) under which a firing `diem used` or `key-cap` re-arms."""
    return threshold - PERCENT_MARGIN_POINTS


def _never(_value: Value, _threshold: Decimal) -> bool:
    return False


BEHAVIOURS: dict[RuleKind, Behaviour] = {
    "usd_below": Behaviour(
        crossed=lambda v, t: _number(v) < t,
        recovered=lambda v, t: _number(v) >= usd_rearm_level(t),
        resets=False,
    ),
    "diem_used": Behaviour(
        crossed=lambda v, t: _number(v) >= t,
        recovered=lambda v, t: _number(v) < percent_rearm_level(t),
        resets=True,
    ),
    "runway_below": Behaviour(
        crossed=lambda v, t: _number(v) < t,
        recovered=lambda v, t: _number(v) >= runway_rearm_level(t),
        resets=False,
    ),
    "spend_above": Behaviour(
        crossed=lambda v, t: _number(v) > t,
        recovered=_never,
        resets=True,
    ),
    "spike": Behaviour(crossed=lambda v, _t: _flag(v), recovered=_never, resets=True),
    "key_cap": Behaviour(
        crossed=lambda v, t: _number(v) >= t,
        recovered=lambda v, t: _number(v) < percent_rearm_level(t),
        resets=True,
    ),
    "funds_out": Behaviour(
        crossed=lambda v, _t: _flag(v), recovered=lambda v, _t: not _flag(v), resets=False
    ),
}


def step(rule: AlertRule, state: RuleState, reading: Reading | None, now: datetime) -> Step:
    """What RULE does at NOW with READING (None: Venice failed, nothing changes)."""
    if reading is None:
        return Step(state)
    behaviour = BEHAVIOURS[rule.kind]
    threshold = rule.threshold if rule.threshold is not None else Decimal(0)
    snoozed = state.snoozed_until is not None and now < state.snoozed_until
    seen = replace(
        state,
        last_value=reading.value,
        last_value_at=reading.measured_at,
        snoozed_until=state.snoozed_until if snoozed else None,
    )
    crossed = behaviour.crossed(reading.value, threshold)
    if state.state == "armed":
        return _crossing(seen, reading, now, snoozed) if crossed else Step(seen)
    new_period = behaviour.resets and reading.period != state.period
    if new_period and crossed:
        return _crossing(seen, reading, now, snoozed)
    if new_period or behaviour.recovered(reading.value, threshold):
        told = state.posted_at is not None and not snoozed
        armed = replace(seen, state="armed", posted_at=None, reminders=0, acked_at=None)
        return Step(armed, "recover" if told else "none")
    if snoozed:
        return Step(seen)
    if state.posted_at is None:  # crossed during the snooze: post once, if still crossed
        return Step(replace(seen, posted_at=now), "fire") if crossed else Step(seen)
    if crossed and state.acked_at is None and now - state.posted_at >= REMIND_EVERY:
        reminded = replace(seen, posted_at=now, reminders=state.reminders + 1)
        return Step(reminded, "remind")
    return Step(seen)


def _crossing(seen: RuleState, reading: Reading, now: datetime, snoozed: bool) -> Step:
    firing = replace(
        seen,
        state="firing",
        crossed_at=reading.measured_at,
        period=reading.period,
        posted_at=None if snoozed else now,
        reminders=0,
        acked_at=None,
    )
    return Step(firing, "none" if snoozed else "fire", new_crossing=True)


def utc_day(instant: datetime) -> str:
    """The period of the rules that reset at 00:00 UTC: the UTC date, `2026-12-03`."""
    return _utc_date(instant).isoformat()


def key_cap_period(key_id: str, limit_period: LimitPeriod, instant: datetime) -> str:
    """The period of a key-cap reading of KEY_ID: the key and its `limitPeriod` window at
    INSTANT (`k1/EPOCH/2026-12-03`, `k1/MONTH/2026-12`, `k1/LIFETIME`): another key, or
    another window, is a fresh start."""
    day = _utc_date(instant)
    match limit_period:
        case "EPOCH":
            return f"{key_id}/EPOCH/{day.isoformat()}"
        case "MONTH":
            return f"{key_id}/MONTH/{day:%Y-%m}"
        case "LIFETIME":
            return f"{key_id}/LIFETIME"


def _utc_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("periods are of timezone-aware instants")
    return instant.astimezone(UTC).date()
