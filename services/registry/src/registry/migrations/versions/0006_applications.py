"""Calls for applications and branches' applications to an edition.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "application_calls",
        sa.Column(
            "edition_id",
            sa.Uuid(),
            sa.ForeignKey(f"{SCHEMA}.editions.id"),
            primary_key=True,
        ),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("criteria", sa.String(5000), nullable=False),
        sa.Column("budget_pln", sa.Numeric(12, 2), nullable=False),
        _timestamp("announced_at"),
        _timestamp("updated_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("edition_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.editions.id"), nullable=False),
        sa.Column("branch_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.branches.id"), nullable=False),
        sa.Column("motivation", sa.String(5000), nullable=False),
        sa.Column("team", sa.String(5000), nullable=False),
        sa.Column("task_types", pg.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("funding_pln", sa.Numeric(12, 2), nullable=True),
        sa.Column("answer", sa.String(1000), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column(
            "enrolment_id", sa.Uuid(), sa.ForeignKey(f"{SCHEMA}.enrolments.id"), nullable=True
        ),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.UniqueConstraint("edition_id", "branch_id", name="applications_edition_branch_key"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_registry_applications_edition_id", "applications", ["edition_id"], schema=SCHEMA
    )
    op.create_index(
        "ix_registry_applications_branch_id", "applications", ["branch_id"], schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_table("applications", schema=SCHEMA)
    op.drop_table("application_calls", schema=SCHEMA)
