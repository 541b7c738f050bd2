"""Enrollment progress: each upload of an Intune device export measured against the plan, kept as
figures only (counts per phase, group and gate), so that the trend shows.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"  # after the import's pending proposals and remembered mappings
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "assessment_id", sa.Integer(), sa.ForeignKey("assessments.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("rulebook_version", sa.String(64), nullable=True),
        sa.Column("measured_on", sa.String(10), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_progress_snapshots_assessment", "progress_snapshots", ["assessment_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_progress_snapshots_assessment", table_name="progress_snapshots")
    op.drop_table("progress_snapshots")
