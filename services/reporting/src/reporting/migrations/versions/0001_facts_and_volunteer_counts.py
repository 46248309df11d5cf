"""Messaging tables, the fact log and volunteer counts.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from shared.migrations import create_messaging_tables, drop_messaging_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "reporting"


def upgrade() -> None:
    create_messaging_tables(SCHEMA)
    op.create_table(
        "facts",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_source", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False, index=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.UniqueConstraint("event_source", "event_id"),
        schema=SCHEMA,
    )
    op.create_table(
        "volunteers",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        sa.Column("minor", sa.Boolean, nullable=False),
        sa.Column("districts", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased", sa.Boolean, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "volunteer_totals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("registered", sa.Integer, nullable=False),
        sa.Column("erased", sa.Integer, nullable=False),
        sa.Column("minors", sa.Integer, nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("volunteer_totals", "volunteers", "facts"):
        op.drop_table(table, schema=SCHEMA)
    drop_messaging_tables(SCHEMA)
