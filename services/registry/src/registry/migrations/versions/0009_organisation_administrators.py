"""A district library's administrators: staff members who act for all its branches.

Revision ID: 0009_organisation_administrators
Revises: 0008_programme_review
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0009_organisation_administrators"
down_revision: str | None = "0008_programme_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "registry"


def upgrade() -> None:
    op.create_table(
        "organisation_administrators",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.organisations.id"),
            nullable=False,
        ),
        sa.Column(
            "staff_id", pg.UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.staff.id"), nullable=False
        ),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("unassigned_on", sa.Date, nullable=True),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_registry_organisation_administrators_staff_id",
        "organisation_administrators",
        ["staff_id"],
        schema=SCHEMA,
    )
    op.create_index(
        "organisation_administrators_one_current",
        "organisation_administrators",
        ["organisation_id", "staff_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("unassigned_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("organisation_administrators", schema=SCHEMA)
