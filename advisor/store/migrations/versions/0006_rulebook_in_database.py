"""The rulebook's files in the database (its source of truth when the site runs) and the head row
that every change bumps, so that every instance on the database adopts a new version.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_files",
        sa.Column("name", sa.String(80), primary_key=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rulebook_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rulebook_head")
    op.drop_table("rule_files")
