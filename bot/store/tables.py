"""The store's tables, as SQLAlchemy Core. The migrations in `migrations/` create exactly these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

READ_POLICIES = ("everyone", "admins")
AUDIT_ACTIONS = ("connect", "replace", "disconnect", "rotate", "role_change")
# A delivery (bot/delivery.py): claimed -> sending -> sent, or failed / skipped; its chart, when
# it is a separate upload: pending -> sending -> sent, or refused (by the channel) or failed
# (it could not be made).
DELIVERY_STATES = ("claimed", "sending", "sent", "failed", "skipped")
CHART_STATES = ("pending", "sending", "sent", "refused", "failed")
# An alert rule (bot/alerts/states.py): armed, or firing (crossed).
ALERT_STATES = ("armed", "firing")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone: UTC is implied)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store takes timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("external_id", String(64), nullable=False),
    Column("name", String(200)),
    Column("locale", String(35)),
    Column("time_zone", String(64)),
    Column("read_policy", String(16), nullable=False, server_default="everyone"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("read_policy IN ('everyone', 'admins')", name="read_policy"),
)

venice_credentials = Table(
    "venice_credentials",
    metadata,
    Column(
        "workspace_id",
        String(80),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # AES-256-GCM blob from bot.secrets.SecretBox; key_id repeats the master key id it names so
    # rotation and start-up checks need no decryption.
    Column("ciphertext", LargeBinary, nullable=False),
    Column("key_id", String(32), nullable=False, index=True),
    Column("fingerprint", String(8), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
    Column("last_verified_at", UTCDateTime()),
    Column("last_error", String(500)),
)

# No foreign key: the audit trail outlives what it describes.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workspace_id", String(80), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    CheckConstraint(
        "action IN ('connect', 'replace', 'disconnect', 'rotate', 'role_change')", name="action"
    ),
)

# One row per channel with a daily digest; `due_at` is the next scheduled run (UTC) and
# `attempt_at` when to try it. The lease makes one process at a time own a due run.
digest_schedules = Table(
    "digest_schedules",
    metadata,
    Column(
        "workspace_id",
        String(80),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("channel_id", String(64), primary_key=True),
    Column("local_time", String(5), nullable=False),  # "HH:MM"
    Column("time_zone", String(64), nullable=False),
    Column("weekdays", Integer, nullable=False),  # bit N set: runs on date.weekday() == N
    Column("skip_empty", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(300)),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("attempt_at", UTCDateTime(), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_until", UTCDateTime()),
    Column("created_by", String(200), nullable=False),
    Column("created_by_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_outcome", String(16)),
    Column("last_run_at", UTCDateTime()),
    # Why the channel refused the digest's chart and what to do there (the admin who set it
    # was told once); cleared when a chart goes in again.
    Column("chart_problem", String(300)),
)

# One row per scheduled post (bot/delivery.py): its stable id is (workspace, channel, kind,
# occurrence), e.g. ("slack:T1", "C1", "digest", "2026-11-30"). Each state is written right
# after the step it records, one post at a time. Kept when the schedule is removed, so turning
# a digest off and on again cannot repeat today's.
deliveries = Table(
    "deliveries",
    metadata,
    Column(
        "workspace_id",
        String(80),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("channel_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("occurrence", String(40), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("chart", String(16)),  # None: no chart, or it went inside the message
    Column("outcome", String(16)),  # the kind's word for how it ended (digest: posted, ...)
    Column("owner", String(80), nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
    # When the last attempt to post began (the clock of the process, not a run's `--now`): a
    # process recovering the delivery looks for the post in the channel from here.
    Column("sending_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    Column("message_id", String(100)),
    Column("chart_id", String(100)),
    Column("late", Boolean, nullable=False),
    CheckConstraint(
        "state IN ('claimed', 'sending', 'sent', 'failed', 'skipped')",
        name="state",
    ),
    CheckConstraint("chart IN ('pending', 'sending', 'sent', 'refused', 'failed')", name="chart"),
)

# One row per alert rule (bot/store/alerts.py). `id` is the short number people type
# (`alert off 3`): per workspace, from alert_rule_ids, never reused, so that a new rule never
# meets an old rule's deliveries (("alert", "<id>:<crossing>"), kept when the rule is removed).
# The state machine's fields (bot/alerts/states.py) are written by compare-and-set on `version`.
alert_rules = Table(
    "alert_rules",
    metadata,
    Column(
        "workspace_id",
        String(80),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("channel_id", String(64), nullable=False),
    Column("rule_text", String(40), nullable=False),  # canonical: `usd below 25`
    Column("kind", String(16), nullable=False),
    Column("threshold", String(24)),  # exact decimal text; None for spike, funds-out
    Column("state", String(16), nullable=False),
    Column("crossings", Integer, nullable=False),  # how many crossings so far: each one's id
    Column("crossed_at", UTCDateTime()),
    Column("crossed_period", String(100)),
    Column("posted_at", UTCDateTime()),  # the last alert or reminder of the crossing
    Column("reminders", Integer, nullable=False),
    Column("last_post", String(40)),  # the delivery occurrence of the latest post decided
    Column("post_lease_until", UTCDateTime()),  # who holds that post, until when
    Column("last_value", String(40)),
    Column("last_value_at", UTCDateTime()),
    Column("snoozed_until", UTCDateTime()),
    Column("acked_at", UTCDateTime()),
    Column("acked_by", String(200)),
    Column("created_by", String(200), nullable=False),
    Column("created_by_id", String(64)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("version", Integer, nullable=False),
    UniqueConstraint("workspace_id", "channel_id", "rule_text"),
    CheckConstraint("state IN ('armed', 'firing')", name="state"),
)

# The last alert id given out in each workspace (ids are never reused, even after removal).
alert_rule_ids = Table(
    "alert_rule_ids",
    metadata,
    Column(
        "workspace_id",
        String(80),
        ForeignKey("workspaces.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("last_id", Integer, nullable=False),
)
