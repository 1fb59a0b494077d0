"""AlertStore: the alert rules of each workspace's channels, and each rule's state, written so
that any number of processes sweeping at once post each crossing once.

**Ids.** A rule's id is a small number per workspace (`alert off 3`), given out by
`alert_rule_ids` and never reused, even after the rule is removed: its posts' delivery ids stay
its own.

**Posts.** Each post a rule makes is a delivery (bot/store/deliveries.py) of kind `alert` in the
rule's channel, its occurrence (`post_occurrence`) made of the rule's id and its crossing
number, so every crossing, reminder and recovery has an id of its own:

    fire      "3:7"             the 7th crossing of rule 3
    remind    "3:7:remind2"     its second reminder
    recover   "3:7:recovered"   its recovery

**The protocol** (for the sweep; the state machine is bot/alerts/states.py):
1. Read the rules (`list_rules`), and for each one whose `last_post` is unfinished (its delivery
   not done: the process posting it died) `claim_post` it once its post lease has run out, and
   deliver it (bot/delivery.py) before stepping the rule again.
2. Step the rule with a reading; when the step changes anything, `transition(record, ...)`:
   compare-and-set on the record's `version` (rowcount checked, PostgreSQL and SQLite alike).
   Only one process wins a given version: it, and only it, posts. When the step posts, the
   delivery is begun, owned by the winner, in the same transaction (one commit): a crash after
   it leaves an unfinished delivery that step 1 finds; a crash before it left nothing.
3. `snooze`, `ack` and `add`/`remove` by people bump `version` too, so a sweep that read the
   rule before them loses its compare-and-set and leaves them be (it tries again next sweep).
4. A step that only moves the rule's last reading (`last_value`, `last_value_at`: what `alert
   list` shows; no decision reads them) is not a transition: `record_values` writes many at
   once, without bumping `version` (so it never makes a concurrent transition lose), only on
   the version read and never back to an older reading.

Statement parameters are never column names (bot/store/rows.py): `workspace`, `rule`, `seen`
(the expected version).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    String,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.errors import BotError
from bot.store.database import Database
from bot.store.deliveries import Delivery, DeliveryId, begin_in
from bot.store.rows import Insert, PerDialect, at, ensure_workspace_row, fixed, of_dialect
from bot.store.tables import alert_rule_ids, alert_rules
from bot.workspaces import parse_workspace_id

MAX_RULES_PER_WORKSPACE = 50
POST_LEASE = timedelta(minutes=3)  # how long a process owns a post it began before others may
DELIVERY_KIND = "alert"
PostKind = Literal["fire", "remind", "recover"]


class StoredRule(Protocol):
    """What the store keeps of a rule (bot/alerts/rules.AlertRule is one)."""

    @property
    def kind(self) -> str: ...

    @property
    def threshold(self) -> Decimal | None: ...

    @property
    def text(self) -> str: ...


class AlertRuleRefused(BotError):
    """A rule cannot be added; `message` says why and what to do, in one or two sentences."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DuplicateAlertRule(AlertRuleRefused):
    """The channel has this very rule already (`rule_id`)."""

    def __init__(self, rule_text: str, rule_id: int) -> None:
        super().__init__(
            f"This channel already has the alert `{rule_text}` (id {rule_id}); "
            f"`alert off {rule_id}` removes it."
        )
        self.rule_id = rule_id


class TooManyAlertRules(AlertRuleRefused):
    """The workspace has MAX_RULES_PER_WORKSPACE rules."""

    def __init__(self) -> None:
        super().__init__(
            f"This workspace has {MAX_RULES_PER_WORKSPACE} alerts, the most it can have; "
            "remove one first (`alert list` shows them, `alert off ID` removes one)."
        )


@dataclass(frozen=True, slots=True)
class AlertProgress:
    """The state machine's part of a rule as the store writes it (bot/alerts/stored.py makes it
    from a step): `last_value` as exact text (`25.10`, `Infinity`, `true`)."""

    state: str  # armed, firing
    crossed_at: datetime | None = None
    crossed_period: str | None = None
    posted_at: datetime | None = None
    reminders: int = 0
    last_value: str | None = None
    last_value_at: datetime | None = None
    snoozed_until: datetime | None = None
    acked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRuleRecord:
    """One stored rule and its state. `version` is what `transition` compares and sets."""

    workspace_id: str
    id: int
    channel_id: str
    rule_text: str
    kind: str
    threshold: Decimal | None
    crossings: int
    progress: AlertProgress
    last_post: str | None  # the delivery occurrence of the latest post decided (None: none yet)
    post_lease_until: datetime | None
    acked_by: str | None
    created_by: str
    created_by_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int

    @property
    def state(self) -> str:
        return self.progress.state

    @property
    def last_delivery(self) -> DeliveryId | None:
        """The delivery of the latest post decided for this rule (None: none yet)."""
        if self.last_post is None:
            return None
        return DeliveryId(self.workspace_id, self.channel_id, DELIVERY_KIND, self.last_post)


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """A transition won: the rule as it now is, and the delivery begun for its post (if any)."""

    record: AlertRuleRecord
    delivery: Delivery | None


def post_occurrence(rule_id: int, crossing: int, post: PostKind, reminders: int = 0) -> str:
    """The delivery occurrence of a post: `3:7`, `3:7:remind2`, `3:7:recovered`."""
    match post:
        case "fire":
            return f"{rule_id}:{crossing}"
        case "remind":
            return f"{rule_id}:{crossing}:remind{reminders}"
        case "recover":
            return f"{rule_id}:{crossing}:recovered"


def rule_record(row: Row[Any]) -> AlertRuleRecord:
    """An alert_rules row as an AlertRuleRecord."""
    return AlertRuleRecord(
        workspace_id=row.workspace_id,
        id=row.id,
        channel_id=row.channel_id,
        rule_text=row.rule_text,
        kind=row.kind,
        threshold=None if row.threshold is None else Decimal(row.threshold),
        crossings=row.crossings,
        progress=AlertProgress(
            state=row.state,
            crossed_at=row.crossed_at,
            crossed_period=row.crossed_period,
            posted_at=row.posted_at,
            reminders=row.reminders,
            last_value=row.last_value,
            last_value_at=row.last_value_at,
            snoozed_until=row.snoozed_until,
            acked_at=row.acked_at,
        ),
        last_post=row.last_post,
        post_lease_until=row.post_lease_until,
        acked_by=row.acked_by,
        created_by=row.created_by,
        created_by_id=row.created_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


# The statements, each built once (`fixed`, bot/store/rows.py).
rules = alert_rules.c


def rule_is() -> ColumnElement[bool]:
    """The rule of parameters `workspace`, `rule`."""
    return and_(
        rules.workspace_id == bindparam("workspace", type_=String()),
        rules.id == bindparam("rule", type_=Integer()),
    )


def unchanged() -> ColumnElement[bool]:
    """The rule of `workspace`, `rule` still at version `seen`."""
    return and_(rule_is(), rules.version == bindparam("seen", type_=Integer()))


def _next_id(insert: Insert) -> Any:
    return (
        insert(alert_rule_ids)
        .values(workspace_id=bindparam("workspace", type_=String()), last_id=1)
        .on_conflict_do_update(
            index_elements=["workspace_id"], set_={"last_id": alert_rule_ids.c.last_id + 1}
        )
        .returning(alert_rule_ids.c.last_id)
    )


# Also serialises adds in one workspace: the counter's row is locked until the add commits.
NEXT_ID: PerDialect = {
    "sqlite": fixed(lambda: _next_id(sqlite_insert)),
    "postgresql": fixed(lambda: _next_id(postgresql_insert)),
}
COUNT_RULES = fixed(
    lambda: (
        select(func.count())
        .select_from(alert_rules)
        .where(rules.workspace_id == bindparam("workspace", type_=String()))
    )
)
SAME_RULE = fixed(
    lambda: select(rules.id).where(
        rules.workspace_id == bindparam("workspace", type_=String()),
        rules.channel_id == bindparam("channel", type_=String()),
        rules.rule_text == bindparam("text", type_=String()),
    )
)
SELECT_RULE = fixed(lambda: select(alert_rules).where(rule_is()))
# The fields of AlertProgress, each from parameter `new_<column>`.
PROGRESS = (
    "state", "crossed_at", "crossed_period", "posted_at", "reminders", "last_value",
    "last_value_at", "snoozed_until", "acked_at",
)  # fmt: skip
TRANSITION = fixed(
    lambda: (
        update(alert_rules)
        .where(unchanged())
        .values(
            **{name: bindparam(f"new_{name}", type_=rules[name].type) for name in PROGRESS},
            crossings=bindparam("crossing", type_=Integer()),
            last_post=bindparam("post", type_=String()),
            post_lease_until=at("lease_end"),
            acked_by=bindparam("acker", type_=String()),
            updated_at=at(),
            version=rules.version + 1,
        )
        .returning(*alert_rules.c)
    )
)


@dataclass(frozen=True, slots=True)
class SeenValue:
    """A rule's last reading, to be written by `record_values`: RULE at VERSION saw VALUE AT."""

    workspace_id: str
    rule_id: int
    version: int
    value: str | None
    at: datetime | None


RECORD_VALUE = fixed(
    lambda: (
        update(alert_rules)
        .where(
            unchanged(),
            rules.last_value_at.is_(None) | (rules.last_value_at < at("new_last_value_at")),
        )
        .values(
            last_value=bindparam("new_last_value", type_=String()),
            last_value_at=at("new_last_value_at"),
        )
    )
)
CLAIM_POST = fixed(
    lambda: (
        update(alert_rules)
        .where(
            unchanged(),
            rules.last_post.is_not(None),
            (rules.post_lease_until.is_(None)) | (rules.post_lease_until <= at()),
        )
        .values(post_lease_until=at("lease_end"), version=rules.version + 1)
        .returning(*alert_rules.c)
    )
)
SNOOZE = fixed(
    lambda: (
        update(alert_rules)
        .where(rule_is())
        .values(
            snoozed_until=at("until"),
            updated_at=at(),
            version=rules.version + 1,
        )
        .returning(*alert_rules.c)
    )
)
ACK = fixed(
    lambda: (
        update(alert_rules)
        .where(rule_is(), rules.state == "firing")
        .values(
            acked_at=at(),
            acked_by=bindparam("acker", type_=String()),
            updated_at=at(),
            version=rules.version + 1,
        )
        .returning(*alert_rules.c)
    )
)


class AlertStore:
    """Every read and write of alert rules and their state."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(
        self,
        workspace_id: str,
        channel_id: str,
        rule: StoredRule,
        *,
        by: str,
        by_id: str | None = None,
        now: datetime,
    ) -> AlertRuleRecord:
        """Add RULE to CHANNEL_ID, armed, with the workspace's next id (the workspace row is
        created when missing). DuplicateAlertRule when the channel has the same rule;
        TooManyAlertRules past MAX_RULES_PER_WORKSPACE."""
        async with self.database.transaction() as connection:
            workspace = (await ensure_workspace_row(connection, workspace_id)).id
            params: dict[str, Any] = {"workspace": workspace, "channel": channel_id,
                                      "text": rule.text}  # fmt: skip
            rule_id = (await connection.execute(of_dialect(connection, NEXT_ID), params)).scalar()
            count = (await connection.execute(COUNT_RULES, params)).scalar() or 0
            if count >= MAX_RULES_PER_WORKSPACE:
                raise TooManyAlertRules()
            same = (await connection.execute(SAME_RULE, params)).scalar()
            if same is not None:
                raise DuplicateAlertRule(rule.text, same)
            row = (
                await connection.execute(
                    alert_rules.insert()
                    .values(
                        workspace_id=workspace,
                        id=rule_id,
                        channel_id=channel_id,
                        rule_text=rule.text,
                        kind=rule.kind,
                        threshold=None if rule.threshold is None else f"{rule.threshold:f}",
                        state="armed",
                        crossings=0,
                        reminders=0,
                        created_by=by[:200],
                        created_by_id=by_id,
                        created_at=now,
                        updated_at=now,
                        version=1,
                    )
                    .returning(*alert_rules.c)
                )
            ).one()
        return rule_record(row)

    async def get(self, workspace_id: str, rule_id: int) -> AlertRuleRecord | None:
        """Rule RULE_ID of WORKSPACE_ID, or None."""
        params = {"workspace": parse_workspace_id(workspace_id), "rule": rule_id}
        async with self.database.engine.connect() as connection:
            row = (await connection.execute(SELECT_RULE, params)).one_or_none()
        return None if row is None else rule_record(row)

    async def list_rules(self, workspace_id: str | None = None) -> list[AlertRuleRecord]:
        """Every rule (of WORKSPACE_ID), ordered by workspace then id."""
        query = select(alert_rules).order_by(rules.workspace_id, rules.id)
        if workspace_id is not None:
            query = query.where(rules.workspace_id == parse_workspace_id(workspace_id))
        async with self.database.engine.connect() as connection:
            found = (await connection.execute(query)).all()
        return [rule_record(row) for row in found]

    async def workspaces_with_rules(self) -> list[str]:
        """The workspaces that have at least one rule, in order."""
        query = select(rules.workspace_id).distinct().order_by(rules.workspace_id)
        async with self.database.engine.connect() as connection:
            return list((await connection.scalars(query)).all())

    async def remove(self, workspace_id: str, rule_id: int) -> bool:
        """Delete rule RULE_ID of WORKSPACE_ID; True when there was one. Its id is not reused."""
        statement = delete(alert_rules).where(
            rules.workspace_id == parse_workspace_id(workspace_id), rules.id == rule_id
        )
        async with self.database.transaction() as connection:
            result = await connection.execute(statement)
        return result.rowcount == 1

    async def remove_all(self, workspace_id: str, channel_id: str | None = None) -> int:
        """Delete every rule of WORKSPACE_ID (of CHANNEL_ID only, when given); how many."""
        statement = delete(alert_rules).where(
            rules.workspace_id == parse_workspace_id(workspace_id)
        )
        if channel_id is not None:
            statement = statement.where(rules.channel_id == channel_id)
        async with self.database.transaction() as connection:
            result = await connection.execute(statement)
        return result.rowcount

    async def snooze(
        self, workspace_id: str, rule_id: int, until: datetime | None, *, now: datetime
    ) -> AlertRuleRecord | None:
        """Silence the rule until UNTIL (None: unsnooze); the rule, or None when there is none."""
        params = {"workspace": parse_workspace_id(workspace_id), "rule": rule_id,
                  "until": until, "at": now}  # fmt: skip
        async with self.database.transaction() as connection:
            row = (await connection.execute(SNOOZE, params)).one_or_none()
        return None if row is None else rule_record(row)

    async def ack(
        self, workspace_id: str, rule_id: int, *, by: str, now: datetime
    ) -> AlertRuleRecord | None:
        """Acknowledge the rule's crossing (no more reminders) when it is firing; the rule (as it
        is, `acked_at` None, when it is armed: nothing to acknowledge), or None when there is
        none. An ack lasts until the rule re-arms."""
        params = {"workspace": parse_workspace_id(workspace_id), "rule": rule_id,
                  "acker": by[:200], "at": now}  # fmt: skip
        async with self.database.transaction() as connection:
            row = (await connection.execute(ACK, params)).one_or_none()
            if row is None:
                row = (await connection.execute(SELECT_RULE, params)).one_or_none()
        return None if row is None else rule_record(row)

    async def transition(
        self,
        record: AlertRuleRecord,
        progress: AlertProgress,
        *,
        new_crossing: bool,
        post: PostKind | None,
        owner: str,
        now: datetime,
        lease: timedelta = POST_LEASE,
    ) -> AlertTransition | None:
        """Compare-and-set: write PROGRESS if the rule is still at RECORD's version (None: another
        process or person changed it first; this sweep leaves it). NEW_CROSSING counts a crossing;
        POST begins the delivery of the post the step decided, owned by OWNER (who then delivers
        it, holding it for LEASE), in the same transaction."""
        crossing = record.crossings + (1 if new_crossing else 0)
        occurrence = record.last_post
        lease_end = record.post_lease_until
        if post is not None:
            occurrence = post_occurrence(record.id, crossing, post, progress.reminders)
            lease_end = now + lease
        params: dict[str, Any] = {f"new_{name}": getattr(progress, name) for name in PROGRESS}
        params.update(
            workspace=record.workspace_id,
            rule=record.id,
            seen=record.version,
            crossing=crossing,
            post=occurrence,
            lease_end=lease_end,
            acker=None if progress.acked_at is None else record.acked_by,
            at=now,
        )
        async with self.database.transaction() as connection:
            row = (await connection.execute(TRANSITION, params)).one_or_none()
            if row is None:
                return None
            updated = rule_record(row)
            delivery = None
            if post is not None and updated.last_delivery is not None:
                delivery = await begin_in(connection, updated.last_delivery, owner, now=now)
        return AlertTransition(updated, delivery)

    async def record_values(self, values: Sequence[SeenValue]) -> None:
        """Write each rule's last reading in VALUES (one statement, one transaction), where the
        rule is still at the version it was read at and its stored reading is older; the others
        are left as they are (their next sweep reads them again)."""
        if not values:
            return
        params = [
            {"workspace": seen.workspace_id, "rule": seen.rule_id, "seen": seen.version,
             "new_last_value": seen.value, "new_last_value_at": seen.at}
            for seen in values
        ]  # fmt: skip
        async with self.database.transaction() as connection:
            await connection.execute(RECORD_VALUE, params)

    async def claim_post(
        self, record: AlertRuleRecord, *, owner: str, now: datetime, lease: timedelta = POST_LEASE
    ) -> AlertTransition | None:
        """Take over RECORD's latest post (its process died before it was done) once its lease
        has run out: compare-and-set on the version, and the delivery handed over to OWNER in
        the same transaction (a done delivery comes back as it is: nothing to post). None when
        another process holds or took it, or the rule changed."""
        params = {"workspace": record.workspace_id, "rule": record.id, "seen": record.version,
                  "lease_end": now + lease, "at": now}  # fmt: skip
        async with self.database.transaction() as connection:
            row = (await connection.execute(CLAIM_POST, params)).one_or_none()
            if row is None:
                return None
            updated = rule_record(row)
            if updated.last_delivery is None:  # pragma: no cover - CLAIM_POST requires a post
                return None
            delivery = await begin_in(connection, updated.last_delivery, owner, now=now)
        return AlertTransition(updated, delivery)
