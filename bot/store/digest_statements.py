"""The digest store's statements, built once each and served from SQLAlchemy's compiled cache.

The hot ones run several times per digest: built per call they cost a Python-side build and
cache-key walk each time, and the INSERT ... ON CONFLICT of either dialect has no cache key at
all (compiled again on every call). Each is a `lambda_stmt` with tracking off, so its cache key
is the lambda's own code: every statement needs a lambda of its own (never a shared helper
lambda), and its values come only from the named bind parameters below, given at execution.

Parameter names are never column names: a column-named execution parameter would be added to
an INSERT's VALUES or an UPDATE's SET. `workspace`, `channel`: the schedule; `holder`: the lease
owner; `at`: now. (bot/store/deliveries.py builds its statements the same way.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    bindparam,
    lambda_stmt,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.lambdas import StatementLambdaElement

from bot.store.tables import UTCDateTime, digest_schedules

Insert = Callable[[Any], Any]  # sqlite_insert or postgresql_insert: the same ON CONFLICT API
PerDialect = dict[str, StatementLambdaElement]
schedules = digest_schedules.c


def fixed(build: Callable[[], Any]) -> StatementLambdaElement:
    """BUILD's statement, cached under BUILD's code (a lambda of its own per statement)."""
    return lambda_stmt(build, enable_tracking=False)


def of_dialect(connection: AsyncConnection, statements: PerDialect) -> StatementLambdaElement:
    """The statement of CONNECTION's dialect (`sqlite` or `postgresql`)."""
    return statements[connection.dialect.name]


def at(name: str = "at") -> Any:
    """An instant parameter (timezone-aware UTC)."""
    return bindparam(name, type_=UTCDateTime())


def schedule_is() -> ColumnElement[bool]:
    """The schedule of parameters `workspace`, `channel`."""
    return and_(
        schedules.workspace_id == bindparam("workspace", type_=String()),
        schedules.channel_id == bindparam("channel", type_=String()),
    )


def claimable() -> ColumnElement[bool]:
    """Enabled, due at `at`, and its lease free or expired."""
    return and_(
        schedules.enabled.is_(True),
        schedules.attempt_at <= at(),
        or_(schedules.lease_until.is_(None), schedules.lease_until <= at()),
    )


def holds_lease() -> ColumnElement[bool]:
    """The schedule of `workspace`, `channel` while `holder` holds its lease."""
    return and_(schedule_is(), schedules.lease_owner == bindparam("holder", type_=String()))


# The columns a schedule's upsert sets, each from parameter `new_<column>`.
SETTINGS = (
    "local_time", "time_zone", "weekdays", "skip_empty", "enabled", "disabled_reason",
    "due_at", "attempt_at", "attempts", "created_by", "created_by_id", "updated_at",
)  # fmt: skip


def _upsert_schedule(insert: Insert) -> Any:
    # The lease is left alone: a process posting the old schedule's run keeps it, and its
    # finish sees `updated_at` moved and leaves the new due time be.
    values = {name: bindparam(f"new_{name}", type_=schedules[name].type) for name in SETTINGS}
    return (
        insert(digest_schedules)
        .values(
            workspace_id=bindparam("workspace", type_=String()),
            channel_id=bindparam("channel", type_=String()),
            created_at=at(),
            **values,
        )
        .on_conflict_do_update(index_elements=["workspace_id", "channel_id"], set_=values)
        .returning(*digest_schedules.c)
    )


UPSERT_SCHEDULE: PerDialect = {
    "sqlite": fixed(lambda: _upsert_schedule(sqlite_insert)),
    "postgresql": fixed(lambda: _upsert_schedule(postgresql_insert)),
}
SELECT_SCHEDULE = fixed(lambda: select(digest_schedules).where(schedule_is()))
# Compare-and-set: the lease is taken only if still claimable (`lease_end`: its new end).
CLAIM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), claimable())
        .values(lease_owner=bindparam("holder", type_=String()), lease_until=at("lease_end"))
        .returning(*digest_schedules.c)
    )
)
# To `next_due`, unless the lease was lost, or the schedule changed (`digest on` again: its new
# due time stands) since `seen_update`.
ADVANCE = fixed(
    lambda: (
        update(digest_schedules)
        .where(
            holds_lease(),
            schedules.due_at < at("next_due"),
            schedules.updated_at == at("seen_update"),
        )
        .values(
            due_at=at("next_due"),
            attempt_at=at("next_due"),
            attempts=0,
            lease_owner=None,
            lease_until=None,
            last_outcome=bindparam("result", type_=String()),
            last_run_at=at(),
        )
    )
)
RETRY = fixed(
    lambda: (
        update(digest_schedules)
        .where(holds_lease())
        .values(
            attempts=schedules.attempts + 1,
            attempt_at=at("retry_at"),
            lease_owner=None,
            lease_until=None,
        )
    )
)
DISABLE = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.enabled.is_(True))
        .values(
            enabled=False,
            disabled_reason=bindparam("reason", type_=String()),
            updated_at=at(),
            lease_owner=None,
            lease_until=None,
        )
    )
)
FREE_LEASE = fixed(
    lambda: update(digest_schedules).where(holds_lease()).values(lease_owner=None, lease_until=None)
)
# Set only when unset: the admin is told once (rowcount 1), until a chart goes in again.
NOTE_CHART_PROBLEM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.chart_problem.is_(None))
        .values(chart_problem=bindparam("problem", type_=String()))
    )
)
FORGET_CHART_PROBLEM = fixed(
    lambda: (
        update(digest_schedules)
        .where(schedule_is(), schedules.chart_problem.is_not(None))
        .values(chart_problem=None)
    )
)
