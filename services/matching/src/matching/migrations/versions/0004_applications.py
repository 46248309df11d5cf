"""Applications and assignments.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("task_id", sa.Uuid, nullable=False, index=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("task_id", "volunteer_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("task_id", sa.Uuid, nullable=False, index=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("application_id", sa.Uuid),
        sa.Column("proposal_id", sa.Uuid),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    # One live place per person and task, whatever path (application, proposal) led there.
    op.create_index(
        "assignments_one_confirmed",
        "assignments",
        ["task_id", "volunteer_id"],
        unique=True,
        postgresql_where=sa.text("status = 'confirmed'"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("assignments_one_confirmed", table_name="assignments", schema=SCHEMA)
    op.drop_table("assignments", schema=SCHEMA)
    op.drop_table("applications", schema=SCHEMA)
