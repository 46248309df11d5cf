"""Contacts, staff, tasks, assignments, reminders, messages and their delivery log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "notifications"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "volunteer_contacts",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        sa.Column("first_name", sa.String),
        sa.Column("email", sa.String),
        sa.Column("phone", sa.String),
        sa.Column("consent_email", sa.Boolean, nullable=False),
        sa.Column("consent_sms", sa.Boolean, nullable=False),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("guardian", pg.JSONB),
        sa.Column("changed_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "erased_volunteers",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        sa.Column("erased_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "preferences",
        sa.Column("volunteer_id", sa.Uuid, primary_key=True),
        sa.Column("reminder_hours_before", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "staff_preferences",
        sa.Column("staff_id", sa.Uuid, primary_key=True),
        sa.Column("daily_digest", sa.Boolean, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.Uuid, primary_key=True),
        sa.Column("role", sa.String, primary_key=True),
        sa.Column("branch_code", sa.String, primary_key=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("email", sa.String, nullable=False),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.Uuid, primary_key=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("starts_at", TZ),
        sa.Column("ends_at", TZ),
        sa.Column("places", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.Uuid, primary_key=True),
        sa.Column("task_id", sa.Uuid, nullable=False, index=True),
        sa.Column("volunteer_id", sa.Uuid, nullable=False, index=True),
        sa.Column("branch_id", sa.Uuid, nullable=False),
        sa.Column("branch_code", sa.String, nullable=False),
        sa.Column("starts_at", TZ),
        sa.Column("ends_at", TZ),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("changed_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "reminders",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("volunteer_id", sa.Uuid, index=True),
        sa.Column("subject_id", sa.Uuid, nullable=False),
        sa.Column("payload", pg.JSONB, nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "reminders_pending_due",
        "reminders",
        ["due_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("idempotency_key", sa.String, nullable=False, unique=True),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("template", sa.String, nullable=False),
        sa.Column("language", sa.String, nullable=False),
        sa.Column("recipient_ref", sa.String, nullable=False),
        sa.Column("volunteer_id", sa.Uuid, index=True),
        sa.Column("branch_code", sa.String),
        sa.Column("address", sa.String),
        sa.Column("subject", sa.String),
        sa.Column("body", sa.Text),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("not_before", TZ),
        sa.Column("lease_until", TZ),
        sa.Column("last_answer", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("read_at", TZ),
        schema=SCHEMA,
    )
    op.create_index(
        "messages_queued",
        "messages",
        ["created_at"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'queued'"),
    )
    op.create_table(
        "delivery_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "message_id",
            sa.Uuid,
            sa.ForeignKey(f"{SCHEMA}.messages.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", TZ, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("detail", sa.Text),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "delivery_log",
        "messages",
        "reminders",
        "assignments",
        "tasks",
        "staff",
        "staff_preferences",
        "preferences",
        "erased_volunteers",
        "volunteer_contacts",
    ):
        op.drop_table(table, schema=SCHEMA)
