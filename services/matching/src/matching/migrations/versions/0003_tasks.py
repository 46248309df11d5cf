"""Tasks, calendar cancellations and volunteers' child-protection checks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "matching"


def upgrade() -> None:
    op.add_column("volunteers", sa.Column("register_checked_on", sa.Date), schema=SCHEMA)
    op.add_column("volunteers", sa.Column("criminal_record_on", sa.Date), schema=SCHEMA)
    op.add_column(
        "volunteers", sa.Column("checks_recorded_at", sa.DateTime(timezone=True)), schema=SCHEMA
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String(64), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("schedule_kind", sa.String(16), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.Column("start", sa.Time),
        sa.Column("end", sa.Time),
        sa.Column("rrule", sa.Text),
        sa.Column("hours", sa.Numeric(7, 2)),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("min_age", sa.Integer),
        sa.Column("skills", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("with_children", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cancel_reason", sa.Text),
        sa.Column("calendar_id", sa.Text, unique=True),
        sa.Column("source_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index("tasks_branch", "tasks", ["branch_code", "status"], schema=SCHEMA)
    op.create_table(
        "calendar_cancellations",
        sa.Column("calendar_id", sa.Text, primary_key=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("calendar_cancellations", schema=SCHEMA)
    op.drop_index("tasks_branch", table_name="tasks", schema=SCHEMA)
    op.drop_table("tasks", schema=SCHEMA)
    for column in ("checks_recorded_at", "criminal_record_on", "register_checked_on"):
        op.drop_column("volunteers", column, schema=SCHEMA)
