"""Agreements and certificates.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String(64), nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("written_form_required", sa.Boolean, nullable=False),
        sa.Column("guardian_role", sa.String(32), nullable=False),
        sa.Column("guardian_name", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String(64), nullable=False),
        sa.Column("approved_hours", sa.Numeric(8, 2), nullable=False),
        sa.Column("period_from", sa.Date, nullable=False),
        sa.Column("period_to", sa.Date, nullable=False),
        sa.Column("pdf", sa.LargeBinary),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("certificates", schema=SCHEMA)
    op.drop_table("agreements", schema=SCHEMA)
