"""Branches' applications to the calls, per edition and branch, and each branch's district:
the applications report (``reporting.applications``), filled from registry's events and
by a rebuild from the fact log.

Revision ID: 0007_branch_applications
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_branch_applications"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"


def upgrade() -> None:
    op.create_table(
        "branch_applications",
        sa.Column("edition_id", sa.Uuid, primary_key=True),
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("application_id", sa.Uuid, nullable=True),
        sa.Column("status", sa.Text, nullable=True),
        sa.Column("granted_pln", sa.Numeric(12, 2), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_pln", sa.Numeric(12, 2), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        schema=SCHEMA,
    )
    op.create_table(
        "application_branches",
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("application_branches", schema=SCHEMA)
    op.drop_table("branch_applications", schema=SCHEMA)
