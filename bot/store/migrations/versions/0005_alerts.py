"""Alert rules, each with its state machine's state, and the per-workspace id counter (issue 18).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create alert_rules and alert_rule_ids."""
    op.create_table(
        "alert_rules",
        sa.Column("workspace_id", sa.String(80), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("rule_text", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("threshold", sa.String(24), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("crossings", sa.Integer(), nullable=False),
        sa.Column("crossed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("crossed_period", sa.String(100), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("last_post", sa.String(40), nullable=True),
        sa.Column("post_lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_value", sa.String(40), nullable=True),
        sa.Column("last_value_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('armed', 'firing')", name="ck_alert_rules_state"),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_alert_rules_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "id", name="pk_alert_rules"),
        sa.UniqueConstraint(
            "workspace_id", "channel_id", "rule_text", name="uq_alert_rules_workspace_id"
        ),
    )
    op.create_table(
        "alert_rule_ids",
        sa.Column("workspace_id", sa.String(80), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name="fk_alert_rule_ids_workspace_id_workspaces",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_alert_rule_ids"),
    )


def downgrade() -> None:
    """Drop them (every alert rule is lost; their deliveries are kept)."""
    op.drop_table("alert_rule_ids")
    op.drop_table("alert_rules")
