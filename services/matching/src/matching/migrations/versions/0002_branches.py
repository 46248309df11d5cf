"""Matching's copy of registry branches, editions, enrolments and coordinators.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.create_table(
        "branches",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("district", sa.String(64), nullable=False),
        sa.Column("institution_type", sa.String(32), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "editions",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("institution_type", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "enrolments",
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("edition_id", sa.Uuid, primary_key=True),
        sa.Column("enrolled", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "coordinators",
        sa.Column("branch_id", sa.Uuid, primary_key=True),
        sa.Column("staff_id", sa.Uuid, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("coordinators", "enrolments", "editions", "branches"):
        op.drop_table(table, schema=SCHEMA)
