"""One delivery record per scheduled post, with its states (issue 15).

`deliveries` replaces `digest_deliveries`: every row is carried over, and digest schedules get
`chart_problem`. A run left `posting` by a process that died becomes `sending`: it may have
been posted. It is looked for before it is posted again, but a post made before this release
carries no delivery mark (Slack metadata, Discord link), so it is not found and the digest is
posted again: twice rather than never, once, at the upgrade.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# digest_deliveries.outcome -> (state, outcome) of the new record.
_CARRIED = {
    "posted": ("sent", "posted"),
    "notified": ("sent", "notified"),
    "skipped": ("skipped", "skipped"),
    "missed": ("skipped", "missed"),
    "posting": ("sending", None),
    "waiting": ("claimed", None),
}


def upgrade() -> None:
    """Create deliveries from digest_deliveries, drop the old table, add chart_problem."""
    deliveries = op.create_table(
        "deliveries",
        sa.Column("workspace_id", sa.String(80), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("occurrence", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("chart", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sending_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("chart_id", sa.String(100), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "state IN ('claimed', 'sending', 'sent', 'failed', 'skipped')",
            name="ck_deliveries_state",
        ),
        sa.CheckConstraint(
            "chart IN ('pending', 'sending', 'sent', 'refused', 'failed')",
            name="ck_deliveries_chart",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_deliveries_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "channel_id", "kind", "occurrence", name="pk_deliveries"
        ),
    )
    old = sa.table(
        "digest_deliveries",
        sa.column("workspace_id", sa.String()),
        sa.column("channel_id", sa.String()),
        sa.column("local_date", sa.Date()),
        sa.column("outcome", sa.String()),
        sa.column("owner", sa.String()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
        sa.column("message_id", sa.String()),
        sa.column("late", sa.Boolean()),
    )
    rows = op.get_bind().execute(sa.select(old)).all()
    if rows:
        op.bulk_insert(deliveries, [_carried(row) for row in rows])
    op.drop_table("digest_deliveries")
    with op.batch_alter_table("digest_schedules") as table:
        table.add_column(sa.Column("chart_problem", sa.String(300), nullable=True))


def _carried(row: Any) -> dict[str, Any]:
    state, outcome = _CARRIED.get(row.outcome, ("sending", None))
    started = _aware(row.started_at)
    return {
        "workspace_id": row.workspace_id,
        "channel_id": row.channel_id,
        "kind": "digest",
        "occurrence": row.local_date.isoformat(),
        "state": state,
        "chart": None,
        "outcome": outcome,
        "owner": row.owner,
        "claimed_at": started,
        "sending_at": started if state == "sending" else None,
        "finished_at": _aware(row.finished_at),
        "message_id": row.message_id,
        "chart_id": None,
        "late": bool(row.late),
    }


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC; PostgreSQL aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def downgrade() -> None:
    """Back to digest_deliveries (digest records only; chart states are lost)."""
    with op.batch_alter_table("digest_schedules") as table:
        table.drop_column("chart_problem")
    old = op.create_table(
        "digest_deliveries",
        sa.Column("workspace_id", sa.String(80), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('posting', 'waiting', 'posted', 'skipped', 'notified', 'missed')",
            name="ck_digest_deliveries_outcome",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_digest_deliveries_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "channel_id", "local_date", name="pk_digest_deliveries"
        ),
    )
    new = sa.table(
        "deliveries",
        *(sa.column(name) for name in ("workspace_id", "channel_id", "kind", "occurrence")),
        *(sa.column(name) for name in ("state", "outcome", "owner", "message_id", "late")),
        sa.column("claimed_at", sa.DateTime(timezone=True)),
        sa.column("finished_at", sa.DateTime(timezone=True)),
    )
    rows = op.get_bind().execute(sa.select(new).where(new.c.kind == "digest")).all()
    back = {"claimed": "waiting", "sending": "posting", "failed": "missed"}
    if rows:
        op.bulk_insert(
            old,
            [
                {
                    "workspace_id": row.workspace_id,
                    "channel_id": row.channel_id,
                    "local_date": datetime.strptime(row.occurrence, "%Y-%m-%d").date(),
                    "outcome": row.outcome or back.get(row.state, "posting"),
                    "owner": row.owner,
                    "started_at": _aware(row.claimed_at),
                    "finished_at": _aware(row.finished_at),
                    "message_id": row.message_id,
                    "late": bool(row.late),
                }
                for row in rows
            ],
        )
    op.drop_table("deliveries")
