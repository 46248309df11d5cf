"""Messaging tables and volunteer profiles.

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

SCHEMA = "matching"


def upgrade() -> None:
    create_messaging_tables(SCHEMA)
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("portal_id", sa.String(64), unique=True),
        sa.Column("first_name", sa.String(100)),
        sa.Column("last_name", sa.String(100)),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(16)),
        sa.Column("birth_date", sa.Date),
        sa.Column("districts", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("skills", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("interests", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("languages", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("availability", pg.JSONB, nullable=False),
        sa.Column("consent_email", sa.Boolean, nullable=False),
        sa.Column("consent_sms", sa.Boolean, nullable=False),
        sa.Column("guardian", pg.JSONB),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("profile_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "erased_portal_ids",
        sa.Column("portal_id_digest", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("erased_portal_ids", schema=SCHEMA)
    op.drop_table("volunteers", schema=SCHEMA)
    drop_messaging_tables(SCHEMA)
