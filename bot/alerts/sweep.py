"""AlertSweeper: one sweep of every alert rule (`serve` every ALERT_CHECK_SECONDS, `venice-bot
alert check`), posting what crossed, once, however many processes sweep together.

For each workspace that has rules (and only those): its stored key (read STATE_BATCH workspaces
to a query, just before they are swept), the figures its rules need,
fetched once through the shared cache (bot/alerts/readings.py: one balance, one analytics and,
for `key-cap` rules, one `/api_keys` call), then each rule in turn:

1. a post a crashed process left unfinished is taken over (`claim_post`, after its lease) and
   delivered first (bot/delivery.py looks for it in the channel before posting it again); until
   it is made, the rule is left as it is (never stepped past an alert nobody has seen);
2. the rule is stepped with its reading (bot/alerts/states.py) and the step written with
   compare-and-set (bot/store/alerts.py): only the process that wins it posts, and its
   delivery was begun in the same transaction, before the post; a step that only moves the
   rule's last reading is written with hundreds of others in one statement (SeenValues);
3. the post goes through the one delivery path, marked with its delivery id.

A Venice failure leaves the workspace's rules as they are (logged, counted); a post that fails
is retried by the next sweep once its lease has run out; the database gone stops the sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.alerts.messages import PostKind, alert_card
from bot.alerts.readings import Readings, needs_of, reading_for, take_readings
from bot.alerts.rules import AlertRule
from bot.alerts.stored import SeenValues, advance, rule_of
from bot.deadline import Deadline
from bot.delivery import DeliveryPath, DeliveryTaken, StoreDown
from bot.errors import BotError, StoreUnavailable
from bot.ports import ChannelUnavailable, Post, Poster, PostFailed
from bot.store.alerts import AlertRuleRecord, AlertStore
from bot.store.database import STORE_ERRORS
from bot.store.deliveries import Delivery, DeliveryStore
from bot.store.workspaces import CommandState, WorkspaceStore
from bot.workspaces import SourceFor, workspace_source

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

FETCH_SECONDS = 30.0  # one workspace's figures; well inside the post lease (3 minutes)
CONCURRENCY = 32  # workspaces swept at once by one process (their Venice calls overlap)
STATE_BATCH = 256  # workspaces whose keys are read in one query


@dataclass
class SweepReport:
    """What one sweep did, for logs, /metrics and `alert check`'s output."""

    rules: int = 0
    workspaces: int = 0
    fired: int = 0
    reminded: int = 0
    recovered: int = 0
    failed: int = 0  # posts that failed (the next sweep tries again)
    unread: int = 0  # workspaces whose figures Venice did not give
    seconds: float = 0.0
    interrupted: str | None = None
    lines: list[str] = field(default_factory=list)
    # Per rule kind and outcome (`usd_below`, `fired`), for /metrics.
    outcomes: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        self.outcomes[(kind, outcome)] = self.outcomes.get((kind, outcome), 0) + 1

    def summary(self) -> str:
        """`3 rules in 2 workspaces: 1 fired, 1 recovered`."""
        parts = [
            f"{getattr(self, name)} {name}"
            for name in ("fired", "reminded", "recovered", "failed")
            if getattr(self, name)
        ]
        if self.unread:
            parts.append(f"{self.unread} workspace{'' if self.unread == 1 else 's'} not read")
        said = f"{self.rules} rule{'' if self.rules == 1 else 's'} in {self.workspaces} " + (
            "workspace" if self.workspaces == 1 else "workspaces"
        )
        return f"{said}: {', '.join(parts) or 'nothing crossed'}"


_DONE_WORD = {"fire": "fired", "remind": "reminded", "recover": "recovered"}


class AlertSweeper:
    """Sweeps every rule for one process (OWNER), CONCURRENCY workspaces at a time."""

    concurrency = CONCURRENCY

    def __init__(
        self,
        *,
        alerts: AlertStore,
        workspaces: WorkspaceStore,
        source_for: SourceFor,
        posters: Mapping[str, Poster],
        owner: str,
    ) -> None:
        self.alerts = alerts
        self.workspaces = workspaces
        self.source_for = source_for
        self.posters = posters
        self.owner = owner
        self.deliveries = DeliveryStore(alerts.database)
        self.path = DeliveryPath(self.deliveries, owner)

    async def sweep(self, now: datetime) -> SweepReport:
        """One sweep of every rule at NOW."""
        began = time.monotonic()
        report = SweepReport()
        self.path.resume()
        try:
            await self._sweep_all(now, report)
        except StoreDown as error:
            report.interrupted = error.message
        except STORE_ERRORS as error:
            report.interrupted = self.path.halt(error).message
        except StoreUnavailable as error:  # a workspace's key could not be read
            report.interrupted = self.path.halt(error).message
        if report.interrupted is not None:
            log.error("alert sweep stopped: %s", report.interrupted)
        report.seconds = time.monotonic() - began
        return report

    async def _sweep_all(self, now: datetime, report: SweepReport) -> None:
        rules = await self.alerts.list_rules()
        by_workspace: dict[str, list[AlertRuleRecord]] = {}
        for record in rules:
            by_workspace.setdefault(record.workspace_id, []).append(record)
        report.rules = len(rules)
        report.workspaces = len(by_workspace)
        gate = asyncio.Semaphore(self.concurrency)
        seen = SeenValues(self.alerts)

        async def one(
            workspace_id: str, records: list[AlertRuleRecord], state: CommandState | None
        ) -> None:
            try:
                if self.path.stopped is not None:  # the database stopped: start no more
                    return
                await self._sweep_workspace(workspace_id, records, now, report, seen, state)
            except (StoreDown, StoreUnavailable):
                raise  # the database: the sweep stops
            except STORE_ERRORS:
                raise
            except Exception as error:  # one workspace's bug must not stop the others
                report.failed += 1
                report.lines.append(f"failed {workspace_id} ({type(error).__name__})")
                log.error("alerts of %s failed", workspace_id, exc_info=error)
            finally:
                gate.release()

        swept = list(by_workspace.items())
        try:
            async with asyncio.TaskGroup() as group:
                for start in range(0, len(swept), STATE_BATCH):
                    batch = swept[start : start + STATE_BATCH]
                    # The keys of the next STATE_BATCH workspaces in one query, read just before
                    # they are swept (as fresh as command_state's own copy would be).
                    states = await self.workspaces.command_states([ws for ws, _ in batch])
                    for workspace_id, records in batch:
                        await gate.acquire()  # released by `one`
                        state = states.get(workspace_id)
                        group.create_task(one(workspace_id, records, state))
        except BaseExceptionGroup as failed:  # the database: the first failure says why
            raise failed.exceptions[0] from None
        await seen.flush()

    async def readings_of(
        self,
        workspace_id: str,
        records: list[AlertRuleRecord],
        now: datetime,
        state: CommandState | None = None,
    ) -> Readings | None:
        """The figures WORKSPACE_ID's RECORDS need, or None without a key (logged). STATE: the
        workspace's key as read already (None: read it now)."""
        if state is None:
            state = await self.workspaces.command_state(workspace_id)
        source = workspace_source(state, workspace_id, self.source_for)
        if source is None:
            return None
        needs = needs_of({rule_of(record).kind for record in records})
        return await take_readings(source, needs, now, Deadline.after(FETCH_SECONDS))

    async def _sweep_workspace(
        self,
        workspace_id: str,
        records: list[AlertRuleRecord],
        now: datetime,
        report: SweepReport,
        seen: SeenValues,
        state: CommandState | None,
    ) -> None:
        readings = await self.readings_of(workspace_id, records, now, state)
        if readings is None:
            report.unread += 1
            report.lines.append(f"no key {workspace_id} ({len(records)} rules not checked)")
            return
        if readings.failures:
            report.unread += 1
            reasons = "; ".join(f"{what}: {why}" for what, why in readings.failures.items())
            log.warning("alerts of %s: Venice did not answer (%s)", workspace_id, reasons)
            report.lines.append(f"unread {workspace_id} ({reasons})")
        for record in records:
            await self._sweep_rule(record, readings, now, report, seen)

    async def _sweep_rule(
        self,
        record: AlertRuleRecord,
        readings: Readings,
        now: datetime,
        report: SweepReport,
        seen: SeenValues,
    ) -> None:
        rule = rule_of(record)
        finished = await self._finish_unfinished(record, rule, readings, now, report)
        if finished is None:
            return  # its latest post is still on its way: the rule moves on once it is posted
        record = finished
        reading = reading_for(rule.kind, readings)
        done, won = await advance(
            self.alerts, record, reading, owner=self.owner, now=now, seen=seen
        )
        if won is None or won.delivery is None or done.action == "none":
            return
        await self._deliver(won.record, rule, won.delivery, done.action, readings, now, report)

    async def _finish_unfinished(
        self,
        record: AlertRuleRecord,
        rule: AlertRule,
        readings: Readings,
        now: datetime,
        report: SweepReport,
    ) -> AlertRuleRecord | None:
        """RECORD's latest post, delivered if a process left it unfinished; the record as it is
        after (its version moves on when it was taken over), or None while that post is still
        not made (its process holds it, another took it over, or it failed again): the rule is
        not stepped past a post nobody has seen, or its recovery would replace the alert."""
        delivery_id = record.last_delivery
        if delivery_id is None:
            return record
        delivery = await self.deliveries.get(delivery_id)
        if delivery is None or delivery.done:
            return record
        claimed = await self.alerts.claim_post(record, owner=self.owner, now=now)
        if claimed is None or claimed.delivery is None:
            return None  # its process still holds it, or another took it over
        post = _post_kind(delivery_id.occurrence)
        done = await self._deliver(
            claimed.record, rule, claimed.delivery, post, readings, now, report
        )
        return claimed.record if done else None

    async def _give_up(
        self,
        record: AlertRuleRecord,
        rule: AlertRule,
        delivery: Delivery,
        poster: Poster,
        error: ChannelUnavailable,
        now: datetime,
    ) -> None:
        current = await self.path.begin(delivery.id, now)
        if current.done:
            return
        await self.path.settle(current, "failed", outcome="unavailable", now=now)
        admins = [record.created_by_id] if record.created_by_id else []
        text = (
            f"I could not post alert {record.id} (`{rule.text}`) in <#{record.channel_id}>: "
            f"{error.message.strip() or 'I cannot post there.'} Invite the bot to the channel "
            f"(or move the alert: `/venice alert off {record.id}`, then `alert on {rule.text}` "
            "where it can post)."
        )
        await poster.tell_admins(record.workspace_id, admins, text)

    async def _alert_message(self, delivery: Delivery) -> str | None:
        """The platform id of the alert DELIVERY follows up (a reminder, a recovery), so it is
        posted under it; None when that alert was never posted (it crossed while snoozed)."""
        first = replace(delivery.id, occurrence=_crossing_occurrence(delivery.id.occurrence))
        alert = await self.deliveries.get(first)
        return alert.message_id if alert is not None and alert.state == "sent" else None

    async def _deliver(
        self,
        record: AlertRuleRecord,
        rule: AlertRule,
        delivery: Delivery,
        post: PostKind,
        readings: Readings,
        now: datetime,
        report: SweepReport,
    ) -> bool:
        """Post DELIVERY (POST of RULE); whether it is done now (posted, or found posted)."""
        where = f"{record.workspace_id} #{record.channel_id} alert {record.id} `{rule.text}`"
        poster = self.posters.get(record.workspace_id.partition(":")[0])
        if poster is None:
            report.failed += 1
            report.count(rule.kind, "failed")
            report.lines.append(f"failed {where} (this process cannot post there)")
            return False
        crossed = record.progress.crossed_at
        card = alert_card(record.id, rule, readings, post=post, crossed_at=crossed)
        reply_to = None if post == "fire" else await self._alert_message(delivery)
        try:
            delivered = await self.path.deliver(
                delivery,
                poster,
                Post(card, reply_to=reply_to),
                outcome=_DONE_WORD[post],
                late=False,
                now=now,
            )
        except DeliveryTaken:
            return False  # another process took it over: it posts
        except StoreDown:  # the sweep stops here; the next one looks for this post first
            report.lines.append(f"stopped {where} (the database stopped)")
            raise
        except ChannelUnavailable as error:
            # Trying again every sweep would not help: this post is given up, the admin who
            # set the alert is told once, and the next crossing tries the channel again.
            await self._give_up(record, rule, delivery, poster, error, now)
            report.failed += 1
            report.count(rule.kind, "failed")
            report.lines.append(f"failed {where} (cannot post there: {error.message})")
            return False
        except PostFailed as error:
            report.failed += 1
            report.count(rule.kind, "failed")
            report.lines.append(f"failed {where} ({error.message})")
            log.warning("alert %s not posted: %s", where, error.message)
            return False
        except BotError as error:  # pragma: no cover - delivery raises the two above
            report.failed += 1
            report.lines.append(f"failed {where} ({type(error).__name__})")
            return False
        word = _DONE_WORD[post]
        setattr(report, word, getattr(report, word) + 1)
        report.count(rule.kind, word)
        report.lines.append(f"{word} {where}")
        return delivered.delivery.done


def _crossing_occurrence(occurrence: str) -> str:
    """The occurrence of the alert a reminder or recovery follows: `3:7:recovered` -> `3:7`."""
    return ":".join(occurrence.split(":")[:2])


def _post_kind(occurrence: str) -> PostKind:
    """The post a delivery occurrence names (bot/store/alerts.py's `post_occurrence`)."""
    last = occurrence.rsplit(":", 1)[-1]
    if last == "recovered":
        return "recover"
    if last.startswith("remind"):
        return "remind"
    return "fire"


def utc_now() -> datetime:
    return datetime.now(UTC)


async def run_sweeps(
    sweeper: AlertSweeper,
    stop: asyncio.Event,
    *,
    interval: float,
    clock: Callable[[], datetime] = utc_now,
    metrics: Metrics | None = None,
) -> None:
    """Sweep at once and then every INTERVAL seconds until STOP is set (`serve`), at a steady
    cadence. A sweep that fails is logged and the next one tries again: the loop never stops
    before the process does."""
    loop = asyncio.get_running_loop()
    planned = loop.time()
    while not stop.is_set():
        started = loop.time()
        try:
            report = await sweeper.sweep(clock())
        except Exception as error:  # a bug or the database: the next sweep tries again
            log.error("alert sweep failed: %s", type(error).__name__, exc_info=error)
        else:
            if report.fired or report.reminded or report.recovered or report.failed:
                log.info("alerts: %s", report.summary())
            if metrics is not None:
                metrics.sweep(report, lag_seconds=started - planned)
        planned = started + interval
        remaining = interval - (loop.time() - started)
        if remaining > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=remaining)
