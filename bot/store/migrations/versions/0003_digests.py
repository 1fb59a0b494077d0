"""Daily digests: one schedule per (workspace, channel), one delivery per run (issue 7).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create digest_schedules and digest_deliveries."""
    op.create_table(
        "digest_schedules",
        sa.Column("workspace_id", sa.String(80), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("local_time", sa.String(5), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("skip_empty", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(300), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(80), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_outcome", sa.String(16), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_digest_schedules_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "channel_id", name="pk_digest_schedules"),
    )
    op.create_index("ix_digest_schedules_attempt_at", "digest_schedules", ["attempt_at"])
    op.create_table(
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


def downgrade() -> None:
    """Drop them (every digest schedule and delivery record is lost)."""
    op.drop_table("digest_deliveries")
    op.drop_index("ix_digest_schedules_attempt_at", table_name="digest_schedules")
    op.drop_table("digest_schedules")
