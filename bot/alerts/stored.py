"""A stored rule (bot/store/alerts.py) as the state machine's rule and state, and a step of the
machine (bot/alerts/states.py) written back: `advance` is one rule's turn in a sweep.

Most turns change nothing but the rule's last reading (what `alert list` shows). A sweep hands
those to `SeenValues`, which writes them many rules to a statement (AlertStore.record_values)
instead of one compare-and-set transaction each: a transition is only what the machine decides.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import cast

from bot.alerts.rules import RULE_KINDS, AlertRule
from bot.alerts.states import AlertState, Reading, RuleState, Step, Value, step
from bot.store.alerts import (
    AlertProgress,
    AlertRuleRecord,
    AlertStore,
    AlertTransition,
    PostKind,
    SeenValue,
)

# Decimal readings are kept to this many places (a runway of 7.142857142857... days).
VALUE_PLACES = Decimal("0.000001")
# Last readings written per statement by SeenValues (a few hundred parameters' rows: within
# SQLite's and asyncpg's limits, and a short transaction).
VALUE_BATCH = 500


def rule_of(record: AlertRuleRecord) -> AlertRule:
    """The rule RECORD keeps."""
    if record.kind not in RULE_KINDS:
        raise ValueError(f"alert rule {record.id} has an unknown kind {record.kind!r}")
    return AlertRule(record.kind, record.threshold)


def state_of(record: AlertRuleRecord) -> RuleState:
    """The machine's state of RECORD."""
    progress = record.progress
    return RuleState(
        state=cast(AlertState, progress.state),
        crossed_at=progress.crossed_at,
        period=progress.crossed_period,
        posted_at=progress.posted_at,
        reminders=progress.reminders,
        snoozed_until=progress.snoozed_until,
        acked_at=progress.acked_at,
        last_value=value_of(progress.last_value),
        last_value_at=progress.last_value_at,
    )


def progress_of(state: RuleState) -> AlertProgress:
    """STATE as the store writes it."""
    return AlertProgress(
        state=state.state,
        crossed_at=state.crossed_at,
        crossed_period=state.period,
        posted_at=state.posted_at,
        reminders=state.reminders,
        last_value=value_text(state.last_value),
        last_value_at=state.last_value_at,
        snoozed_until=state.snoozed_until,
        acked_at=state.acked_at,
    )


def value_text(value: Value | None) -> str | None:
    """A reading's value as stored: `25.1`, `Infinity`, `true`."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if value.is_finite() and value != value.quantize(VALUE_PLACES):
        value = value.quantize(VALUE_PLACES)
    return f"{value:f}"


def value_of(text: str | None) -> Value | None:
    """A stored value back (value_text's inverse)."""
    if text is None:
        return None
    if text in ("true", "false"):
        return text == "true"
    return Decimal(text)


class SeenValues:
    """Rules' last readings waiting to be written together: written VALUE_BATCH at a time as
    they come, and the rest by `flush` (the sweep's end). A reading not written (the process
    stopped first) loses nothing but what `alert list` shows until the next sweep."""

    def __init__(self, store: AlertStore, batch: int = VALUE_BATCH) -> None:
        self.store = store
        self.batch = batch
        self._waiting: list[SeenValue] = []

    async def add(self, seen: SeenValue) -> None:
        self._waiting.append(seen)
        if len(self._waiting) >= self.batch:
            await self.flush()

    async def flush(self) -> None:
        # Taken first: other workspaces' turns add to a new list while this one is written.
        waiting, self._waiting = self._waiting, []
        await self.store.record_values(waiting)


def only_reading_moved(before: AlertProgress, after: AlertProgress) -> bool:
    """Whether AFTER differs from BEFORE in the last reading alone."""
    kept = replace(after, last_value=before.last_value, last_value_at=before.last_value_at)
    return kept == before


async def advance(
    store: AlertStore,
    record: AlertRuleRecord,
    reading: Reading | None,
    *,
    owner: str,
    now: datetime,
    seen: SeenValues | None = None,
) -> tuple[Step, AlertTransition | None]:
    """Step RECORD's rule with READING at NOW and write the step if it changes anything: the
    step, and the transition when this process won it (None: nothing to write, or another
    process or person changed the rule first: post nothing). The transition's delivery, when
    there is one, is this process's to deliver (bot/delivery.py). SEEN: where a step that moves
    only the last reading goes, to be written in a batch (None: written now, as a transition)."""
    done = step(rule_of(record), state_of(record), reading, now)
    progress = progress_of(done.state)
    if progress == record.progress and done.action == "none":
        return done, None
    if seen is not None and done.action == "none" and only_reading_moved(record.progress, progress):
        value = SeenValue(record.workspace_id, record.id, record.version,
                          progress.last_value, progress.last_value_at)  # fmt: skip
        await seen.add(value)
        return done, None
    post: PostKind | None = None if done.action == "none" else done.action
    won = await store.transition(
        record,
        progress,
        new_crossing=done.new_crossing,
        post=post,
        owner=owner,
        now=now,
    )
    return done, won


def listed_state(record: AlertRuleRecord, now: datetime) -> str:
    """A rule's state as `alert list` says it: `armed`, `firing`, `firing, acked`, `snoozed
    until 2026-12-04 09:00 UTC`."""
    progress = record.progress
    snoozed = progress.snoozed_until
    if snoozed is not None and now < snoozed:
        return f"snoozed until {snoozed:%Y-%m-%d %H:%M} UTC"
    if progress.state == "firing" and progress.acked_at is not None:
        return "firing, acked"
    return progress.state
