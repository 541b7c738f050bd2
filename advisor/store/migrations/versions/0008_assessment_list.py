"""The assessments list pages, searches and sorts in the database: the organisation's name and
the searched text as columns of their own (filled in here from the answers, kept in step by every
write), and an index for each order the list pages in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 500

INDEXES = {
    "ix_assessments_updated": ["updated_at", "id"],
    "ix_assessments_created": ["created_at", "id"],
    "ix_assessments_title": ["search_text", "id"],
    "ix_assessments_owner_updated": ["owner_id", "updated_at", "id"],
    "ix_assessments_status_updated": ["status", "updated_at", "id", "owner_id"],
}


def _organisation(answers: Any) -> str:
    """As advisor.store.assessments.organisation_name (a migration keeps its own copy: the code
    it was written with may change later)."""
    organisation = answers.get("organisation") if isinstance(answers, dict) else None
    name = organisation.get("name") if isinstance(organisation, dict) else None
    return name.strip()[:200] if isinstance(name, str) else ""


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        batch.add_column(sa.Column("organisation", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    assessments = sa.table(
        "assessments",
        sa.column("id", sa.Integer()),
        sa.column("title", sa.String()),
        sa.column("answers", sa.JSON()),
        sa.column("organisation", sa.String()),
        sa.column("search_text", sa.Text()),
    )
    connection = op.get_bind()
    last = 0
    while True:  # in batches by id: the answers of every assessment never in memory at once
        rows = connection.execute(
            sa.select(assessments.c.id, assessments.c.title, assessments.c.answers)
            .where(assessments.c.id > last)
            .order_by(assessments.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, title, answers in rows:
            name = _organisation(answers)
            connection.execute(
                sa.update(assessments)
                .where(assessments.c.id == row_id)
                .values(organisation=name, search_text=f"{title}\n{name}".casefold())
            )
        last = rows[-1][0]
    for name, columns in INDEXES.items():
        op.create_index(name, "assessments", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="assessments")
    with op.batch_alter_table("assessments") as batch:
        batch.drop_column("search_text")
        batch.drop_column("organisation")
