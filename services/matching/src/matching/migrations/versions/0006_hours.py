"""Hours worked: logged, approved or rejected.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "hours",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("assignment_id", sa.Uuid, nullable=False, index=True),
        sa.Column("task_id", sa.Uuid, nullable=False),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String(64), nullable=False),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("hours", sa.Numeric(5, 2), nullable=False),
        sa.Column("worked_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("logged_by", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("hours", schema=SCHEMA)
